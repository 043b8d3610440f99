namespace RemoteGpu.AppHost.Hosting;

/// <summary>A resource of the application cannot reach the state asked for (it failed to start).</summary>
public sealed class DistributedApplicationException : Exception
{
    public DistributedApplicationException()
    {
    }

    public DistributedApplicationException(string message)
        : base(message)
    {
    }

    public DistributedApplicationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
