using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RemoteGpu.Core.Data.Migrations
{
    /// <summary>
    /// What the edge caches besides routes, kept current the same way (DESIGN.md §7): a grant given,
    /// changed or revoked notifies <c>remotegpu_environments</c> with its environment (grants travel with
    /// the route); a user whose name, role, stamp or enabled state changes, or who is deleted, and a token
    /// revoked or re-stamped, notify <c>remotegpu_users</c> with the user id. Last-used and last-login
    /// writes notify nothing.
    /// </summary>
    public partial class EdgeIdentityNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TRIGGER environment_grants_notify_edge
                    AFTER INSERT OR UPDATE OR DELETE ON environment_grants
                    FOR EACH ROW EXECUTE FUNCTION remotegpu_notify_environment();
                """);
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION remotegpu_notify_user() RETURNS trigger
                LANGUAGE plpgsql AS $$
                DECLARE
                    changed uuid;
                BEGIN
                    IF TG_TABLE_NAME = 'users' THEN
                        changed := OLD.id;
                    ELSE
                        changed := OLD.user_id;
                    END IF;
                    PERFORM pg_notify('remotegpu_users', changed::text);
                    RETURN NULL;
                END
                $$;
                """);
            // A DELETE trigger cannot look at NEW, so each table has one trigger per operation.
            foreach (var (table, changedColumns) in new[]
            {
                ("users", new[] { "user_name", "role", "security_stamp", "is_disabled" }),
                ("api_tokens", new[] { "token_hash", "security_stamp", "expires_at" }),
            })
            {
                var changed = string.Join(" OR ", changedColumns.Select(c => $"OLD.{c} IS DISTINCT FROM NEW.{c}"));
                migrationBuilder.Sql($"""
                    CREATE TRIGGER {table}_update_notify_edge
                        AFTER UPDATE ON {table}
                        FOR EACH ROW WHEN ({changed})
                        EXECUTE FUNCTION remotegpu_notify_user();
                    """);
                migrationBuilder.Sql($"""
                    CREATE TRIGGER {table}_delete_notify_edge
                        AFTER DELETE ON {table}
                        FOR EACH ROW EXECUTE FUNCTION remotegpu_notify_user();
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in new[] { "users", "api_tokens" })
            {
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_update_notify_edge ON {table};");
                migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {table}_delete_notify_edge ON {table};");
            }
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS remotegpu_notify_user();");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS environment_grants_notify_edge ON environment_grants;");
        }
    }
}
