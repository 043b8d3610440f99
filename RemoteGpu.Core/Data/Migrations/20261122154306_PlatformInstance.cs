using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RemoteGpu.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class PlatformInstance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // One random id per installation, written once: the label that tells this platform's
            // containers from another's on a shared Docker engine (the orphan sweep touches only its own).
            migrationBuilder.Sql("""
                CREATE TABLE platform_instance (
                    id uuid PRIMARY KEY,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    single boolean NOT NULL DEFAULT true UNIQUE CHECK (single));
                INSERT INTO platform_instance (id) VALUES (gen_random_uuid());
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE platform_instance;");
        }
    }
}
