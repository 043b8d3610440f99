using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Environments;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class WorkspaceImageConfiguration : IEntityTypeConfiguration<WorkspaceImage>
{
    public void Configure(EntityTypeBuilder<WorkspaceImage> builder)
    {
        builder.ToTable("images");
        builder.HasKey(i => i.Name);
        builder.Property(i => i.Name).HasMaxLength(256);
        builder.Property(i => i.DisplayName).HasMaxLength(128);
        builder.Property(i => i.Description).HasMaxLength(1024);
    }
}

internal sealed class PortAllocationConfiguration : IEntityTypeConfiguration<PortAllocation>
{
    public void Configure(EntityTypeBuilder<PortAllocation> builder)
    {
        builder.ToTable("port_allocations");
        builder.HasKey(a => new { a.HostName, a.Port });
        builder.Property(a => a.HostName).HasMaxLength(128);
        builder.Property(a => a.EnvironmentId).HasMaxLength(12);
        builder.HasIndex(a => a.EnvironmentId);
        builder.HasOne<GpuEnvironment>().WithMany().HasForeignKey(a => a.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class GpuAllocationConfiguration : IEntityTypeConfiguration<GpuAllocation>
{
    public void Configure(EntityTypeBuilder<GpuAllocation> builder)
    {
        builder.ToTable("gpu_allocations");
        builder.HasKey(a => new { a.HostName, a.DeviceId });
        builder.Property(a => a.HostName).HasMaxLength(128);
        builder.Property(a => a.DeviceId).HasMaxLength(64);
        builder.Property(a => a.EnvironmentId).HasMaxLength(12);
        builder.HasIndex(a => a.EnvironmentId);
        builder.HasOne<GpuEnvironment>().WithMany().HasForeignKey(a => a.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
    }
}
