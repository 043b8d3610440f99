using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RemoteGpu.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class IdleAutoStop : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "idle_timeout_minutes",
                table: "environments",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "keep_alive_until",
                table: "environments",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "environment_activity",
                columns: table => new
                {
                    environment_id = table.Column<string>(type: "character varying(12)", nullable: false),
                    checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    sources = table.Column<string>(type: "jsonb", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    verdict = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    idle_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    stop_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    warned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    idle_gpu_held_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    cpu_usage_nanoseconds = table.Column<long>(type: "bigint", nullable: true),
                    cpu_sampled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_environment_activity", x => x.environment_id);
                    table.ForeignKey(
                        name: "fk_environment_activity_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "environment_activity");

            migrationBuilder.DropColumn(
                name: "idle_timeout_minutes",
                table: "environments");

            migrationBuilder.DropColumn(
                name: "keep_alive_until",
                table: "environments");
        }
    }
}
