using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Audit;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        builder.ToTable("audit_events");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).UseIdentityAlwaysColumn();
        builder.Property(a => a.ActorName).HasMaxLength(64);
        builder.Property(a => a.Action).HasMaxLength(64);
        builder.Property(a => a.TargetType).HasMaxLength(32);
        builder.Property(a => a.TargetId).HasMaxLength(64);
        builder.Property(a => a.Address).HasMaxLength(64);
        builder.Property(a => a.UserAgent).HasMaxLength(512);
        builder.Property(a => a.Details).HasColumnType("jsonb");

        // Keyset paging walks (occurred_at, id) newest first; filters narrow by actor, action or target.
        builder.HasIndex(a => new { a.OccurredAt, a.Id });
        builder.HasIndex(a => a.ActorId);
        builder.HasIndex(a => a.Action);
        builder.HasIndex(a => new { a.TargetType, a.TargetId });
    }
}
