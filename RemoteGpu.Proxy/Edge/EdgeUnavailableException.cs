namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// The edge cannot decide or record a request because a store it needs (Postgres, Redis) is not
/// answering: the caller gets 503 with the reason, never a guess.
/// </summary>
public sealed class EdgeUnavailableException : Exception
{
    public EdgeUnavailableException()
    {
    }

    public EdgeUnavailableException(string message)
        : base(message)
    {
    }

    public EdgeUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
