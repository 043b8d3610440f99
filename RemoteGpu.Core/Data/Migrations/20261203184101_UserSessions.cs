using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RemoteGpu.Core.Data.Migrations
{
    /// <summary>
    /// Server-side sessions (issue 21, finding 5): one row per sign-in, named by the platform cookie and by
    /// every environment cookie handed off from it. A session that ends (or whose row goes) notifies
    /// <c>remotegpu_sessions</c> with its id, at commit, so the edge stops honouring its cookies within
    /// milliseconds. Inserts and last-seen writes notify nothing: the edge reads a session the first time it
    /// meets it.
    /// </summary>
    public partial class UserSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "user_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    method = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    user_agent = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_user_sessions", x => x.id);
                    table.ForeignKey(
                        name: "fk_user_sessions_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_user_sessions_user_id",
                table: "user_sessions",
                column: "user_id",
                filter: "ended_at IS NULL");

            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION remotegpu_notify_session() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('remotegpu_sessions', OLD.id::text);
                    RETURN NULL;
                END
                $$;
                """);
            // A DELETE trigger cannot look at NEW, so there is one trigger per operation.
            migrationBuilder.Sql("""
                CREATE TRIGGER user_sessions_update_notify_edge
                    AFTER UPDATE ON user_sessions
                    FOR EACH ROW WHEN (OLD.ended_at IS DISTINCT FROM NEW.ended_at OR OLD.user_id IS DISTINCT FROM NEW.user_id)
                    EXECUTE FUNCTION remotegpu_notify_session();
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER user_sessions_delete_notify_edge
                    AFTER DELETE ON user_sessions
                    FOR EACH ROW EXECUTE FUNCTION remotegpu_notify_session();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS user_sessions_delete_notify_edge ON user_sessions;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS user_sessions_update_notify_edge ON user_sessions;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS remotegpu_notify_session();");
            migrationBuilder.DropTable(
                name: "user_sessions");
        }
    }
}
