using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RemoteGpu.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class Environments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "applied_credentials_version",
                table: "access_info",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "credentials_version",
                table: "access_info",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "gpu_allocations",
                columns: table => new
                {
                    host_name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    device_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    environment_id = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_gpu_allocations", x => new { x.host_name, x.device_id });
                    table.ForeignKey(
                        name: "fk_gpu_allocations_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "images",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    display_name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    description = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_images", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "port_allocations",
                columns: table => new
                {
                    host_name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    port = table.Column<int>(type: "integer", nullable: false),
                    environment_id = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_port_allocations", x => new { x.host_name, x.port });
                    table.ForeignKey(
                        name: "fk_port_allocations_environments_environment_id",
                        column: x => x.environment_id,
                        principalTable: "environments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_gpu_allocations_environment_id",
                table: "gpu_allocations",
                column: "environment_id");

            migrationBuilder.CreateIndex(
                name: "ix_port_allocations_environment_id",
                table: "port_allocations",
                column: "environment_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "gpu_allocations");

            migrationBuilder.DropTable(
                name: "images");

            migrationBuilder.DropTable(
                name: "port_allocations");

            migrationBuilder.DropColumn(
                name: "applied_credentials_version",
                table: "access_info");

            migrationBuilder.DropColumn(
                name: "credentials_version",
                table: "access_info");
        }
    }
}
