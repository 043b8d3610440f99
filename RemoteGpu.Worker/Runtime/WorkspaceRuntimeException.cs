namespace RemoteGpu.Worker.Runtime;

/// <summary>The engine could not do what was asked; the message says why in words an operator can act on.</summary>
internal class WorkspaceRuntimeException : Exception
{
    public WorkspaceRuntimeException()
    {
    }

    public WorkspaceRuntimeException(string message)
        : base(message)
    {
    }

    public WorkspaceRuntimeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The image is not on the engine's host (images are built or pulled there ahead of time). Retrying will not help.</summary>
internal sealed class WorkspaceImageNotFoundException(string image, Exception? innerException = null)
    : WorkspaceRuntimeException($"The image {image} is not present on the Docker host.", innerException)
{
    public string Image { get; } = image;
}

/// <summary>The requested host port is in use: pick another port from the pool and create the workspace again.</summary>
internal sealed class PortUnavailableException(int port, string environmentId, Exception? innerException = null)
    : WorkspaceRuntimeException($"Host port {port} for the SSH service of {environmentId} is already in use.", innerException)
{
    public int Port { get; } = port;

    public string EnvironmentId { get; } = environmentId;
}

/// <summary>No container exists for the environment (never created, or removed).</summary>
internal sealed class WorkspaceNotFoundException(string environmentId)
    : WorkspaceRuntimeException($"No workspace container exists for {environmentId}.")
{
    public string EnvironmentId { get; } = environmentId;
}
