using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Health;
using RemoteGpu.Core.Idle;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class GpuEnvironmentConfiguration : IEntityTypeConfiguration<GpuEnvironment>
{
    public void Configure(EntityTypeBuilder<GpuEnvironment> builder)
    {
        builder.ToTable("environments");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasMaxLength(12);
        builder.Property(e => e.Name).HasMaxLength(63);
        builder.Property(e => e.Image).HasMaxLength(256);
        builder.Property(e => e.CpuCores).HasPrecision(6, 2);
        builder.Property(e => e.DesiredState).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.HostName).HasMaxLength(128);
        builder.Property(e => e.ContainerId).HasMaxLength(64);
        builder.Property(e => e.Version).HasColumnName("xmin").HasColumnType("xid").IsRowVersion();

        builder.HasOne(e => e.Owner).WithMany().HasForeignKey(e => e.OwnerId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne(e => e.Access).WithOne().HasForeignKey<AccessInfo>(a => a.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(e => e.Activity).WithOne().HasForeignKey<EnvironmentActivity>(a => a.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(e => e.Health).WithOne().HasForeignKey<EnvironmentHealth>(h => h.EnvironmentId).OnDelete(DeleteBehavior.Cascade);

        builder.HasIndex(e => e.OwnerId);
        // The reconciler's scan: rows whose observed status has not converged to the desired state.
        builder.HasIndex(e => new { e.DesiredState, e.Status });
    }
}
