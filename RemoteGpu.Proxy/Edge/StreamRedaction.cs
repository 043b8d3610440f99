using System.Buffers;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// Copies a body with every occurrence of a secret removed, in bounded memory: a chunk at a time, holding back
/// only the secret's length less one byte at the end of each (the start of an occurrence the next chunk may finish).
/// Whatever the body's size, the edge keeps one chunk of it.
/// </summary>
internal static class StreamRedaction
{
    public const int ChunkSize = 64 * 1024;

    public static async Task CopyWithoutAsync(Stream source, Stream destination, ReadOnlyMemory<byte> secret, CancellationToken cancellationToken,
        int chunkSize = ChunkSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfZero(secret.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);

        var heldBack = secret.Length - 1;
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize + heldBack);
        try
        {
            var filled = 0;
            while (true)
            {
                var read = await source.ReadAsync(buffer.AsMemory(filled, chunkSize), cancellationToken);
                filled += read;
                var last = read == 0;
                // Every occurrence that starts before `safe` ends within what was read; after it, one may not yet.
                var safe = last ? filled : Math.Max(0, filled - heldBack);
                var start = 0;
                while (true)
                {
                    var index = buffer.AsSpan(start, filled - start).IndexOf(secret.Span);
                    if (index < 0 || start + index >= safe)
                    {
                        break;
                    }
                    await destination.WriteAsync(buffer.AsMemory(start, index), cancellationToken);
                    start += index + secret.Length;
                }
                if (start < safe)
                {
                    await destination.WriteAsync(buffer.AsMemory(start, safe - start), cancellationToken);
                    start = safe;
                }
                if (last)
                {
                    return;
                }
                filled -= start;
                buffer.AsSpan(start, filled).CopyTo(buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
