using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RemoteGpu.Core.Data.Migrations
{
    /// <summary>
    /// Every change to an environment or its access row notifies <c>remotegpu_environments</c> with the
    /// environment id, at commit: the edge reloads that one route within milliseconds (DESIGN.md §7).
    /// </summary>
    public partial class EdgeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION remotegpu_notify_environment() RETURNS trigger
                LANGUAGE plpgsql AS $$
                DECLARE
                    changed text;
                BEGIN
                    IF TG_TABLE_NAME = 'environments' THEN
                        IF TG_OP = 'DELETE' THEN changed := OLD.id; ELSE changed := NEW.id; END IF;
                    ELSE
                        IF TG_OP = 'DELETE' THEN changed := OLD.environment_id; ELSE changed := NEW.environment_id; END IF;
                    END IF;
                    PERFORM pg_notify('remotegpu_environments', changed);
                    RETURN NULL;
                END
                $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER environments_notify_edge
                    AFTER INSERT OR UPDATE OR DELETE ON environments
                    FOR EACH ROW EXECUTE FUNCTION remotegpu_notify_environment();
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER access_info_notify_edge
                    AFTER INSERT OR UPDATE OR DELETE ON access_info
                    FOR EACH ROW EXECUTE FUNCTION remotegpu_notify_environment();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS access_info_notify_edge ON access_info;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS environments_notify_edge ON environments;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS remotegpu_notify_environment();");
        }
    }
}
