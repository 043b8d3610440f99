using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.ToTable("users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.UserName).HasMaxLength(64);
        builder.HasIndex(u => u.UserName).IsUnique();
        builder.Property(u => u.PasswordHash).HasMaxLength(100);
        builder.Property(u => u.Role).HasMaxLength(16);
        builder.ToTable(t => t.HasCheckConstraint("ck_users_role", "role IN ('admin', 'user', 'auditor')"));
        builder.Property(u => u.Version).HasColumnName("xmin").HasColumnType("xid").IsRowVersion();
    }
}
