using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class EnvironmentGrantConfiguration : IEntityTypeConfiguration<EnvironmentGrant>
{
    public void Configure(EntityTypeBuilder<EnvironmentGrant> builder)
    {
        builder.ToTable("environment_grants");
        builder.HasKey(g => g.Id);
        builder.Property(g => g.EnvironmentId).HasMaxLength(12);
        // One grant per user and environment: granting again moves the expiry.
        builder.HasIndex(g => new { g.EnvironmentId, g.UserId }).IsUnique();
        builder.HasIndex(g => g.UserId);
        builder.HasOne<GpuEnvironment>().WithMany().HasForeignKey(g => g.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(g => g.User).WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(g => g.GrantedById).OnDelete(DeleteBehavior.Restrict);
    }
}
