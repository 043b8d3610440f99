using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Environments;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class AccessInfoConfiguration : IEntityTypeConfiguration<AccessInfo>
{
    public void Configure(EntityTypeBuilder<AccessInfo> builder)
    {
        builder.ToTable("access_info");
        builder.HasKey(a => a.EnvironmentId);
        builder.Property(a => a.SshHost).HasMaxLength(256);
        builder.Property(a => a.SshUsername).HasMaxLength(32);
        builder.Property(a => a.SshPasswordHash).HasMaxLength(100);
        builder.Property(a => a.JupyterUpstream).HasMaxLength(256);
        builder.Property(a => a.CodeServerUpstream).HasMaxLength(256);
        builder.HasIndex(a => a.PasswordExpiresAt);
    }
}
