namespace RemoteGpu.Core;

/// <summary>Every log event id of every RemoteGpu service, in one place so none is used twice.</summary>
public static class CoreEventIds
{
    // Core 1000–1099
    public const int SchemaCurrent = 1000;
    public const int ApplyingMigrations = 1001;
    public const int AppliedMigrations = 1002;
    public const int HintNotSent = 1003;

    // Api 2000–2999
    public const int AdminCreated = 2000;
    public const int AdminPasswordGenerated = 2001;
    public const int StoreUnavailable = 2002;
}
