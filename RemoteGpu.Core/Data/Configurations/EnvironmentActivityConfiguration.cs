using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Idle;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class EnvironmentActivityConfiguration : IEntityTypeConfiguration<EnvironmentActivity>
{
    public void Configure(EntityTypeBuilder<EnvironmentActivity> builder)
    {
        builder.ToTable("environment_activity");
        builder.HasKey(a => a.EnvironmentId);
        builder.Property(a => a.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.Verdict).HasMaxLength(512);
        builder.Property(a => a.Version).HasColumnName("xmin").HasColumnType("xid").IsRowVersion();
        EnvironmentHealthConfiguration.JsonColumn(builder.Property(a => a.Sources));
    }
}
