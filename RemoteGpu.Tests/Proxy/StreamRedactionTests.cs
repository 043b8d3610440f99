using System.Text;
using RemoteGpu.Proxy.Edge;

namespace RemoteGpu.Tests.Proxy;

/// <summary>The edge's token removal from pages: the same bytes as a whole-body removal, in one chunk of memory.</summary>
public sealed class StreamRedactionTests
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");

    [Fact]
    public async Task EveryOccurrence_IsRemoved_WhereverTheChunksSplitIt()
    {
        var random = new Random(7);
        for (var round = 0; round < 300; round++)
        {
            var body = RandomBody(random);
            foreach (var chunk in new[] { 1, 2, Secret.Length - 1, Secret.Length, Secret.Length + 1, 64, 1000 })
            {
                Assert.Equal(Naive(body), await RedactAsync(body, chunk));
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("no secret at all")]
    [InlineData("0123456789abcdef0123456789abcde")] // all but its last byte
    public async Task ABodyWithoutTheSecret_PassesUnchanged(string text)
    {
        var body = Encoding.ASCII.GetBytes(text);

        Assert.Equal(body, await RedactAsync(body, 4));
    }

    [Fact]
    public async Task AHundredMegabyteBody_IsCopiedInBoundedMemory()
    {
        await using var source = new RepeatingStream(Encoding.ASCII.GetBytes("page " + Encoding.ASCII.GetString(Secret) + " text\n"), 100L << 20);
        var destination = new CountingStream();
        var before = GC.GetTotalAllocatedBytes(precise: true);

        await StreamRedaction.CopyWithoutAsync(source, destination, Secret, CancellationToken.None);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 4 << 20, $"{allocated / 1024} KB allocated to copy 100 MB");
        // "page " + secret + " text\n", 43 bytes, over and over: every whole secret gone.
        const long Total = 100L << 20;
        var occurrences = (Total - 5 - Secret.Length) / 43 + 1;
        Assert.Equal(Total - occurrences * Secret.Length, destination.Length);
    }

    private static byte[] RandomBody(Random random)
    {
        var parts = new List<byte>();
        for (var i = random.Next(0, 8); i > 0; i--)
        {
            var filler = new byte[random.Next(0, 80)];
            random.NextBytes(filler);
            parts.AddRange(filler);
            // Whole secrets, and prefixes of one that must stay.
            parts.AddRange(random.Next(3) == 0 ? Secret.AsSpan(0, random.Next(1, Secret.Length)).ToArray() : Secret);
        }
        return [.. parts];
    }

    private static byte[] Naive(byte[] body) =>
        Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(body).Replace(Encoding.Latin1.GetString(Secret), string.Empty, StringComparison.Ordinal));

    private static async Task<byte[]> RedactAsync(byte[] body, int chunk)
    {
        await using var source = new MemoryStream(body);
        await using var destination = new MemoryStream();
        await StreamRedaction.CopyWithoutAsync(source, destination, Secret, CancellationToken.None, chunk);
        return destination.ToArray();
    }

    /// <summary>A long body generated on the fly: nothing of it is held but its pattern.</summary>
    private sealed class RepeatingStream(byte[] pattern, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[i] = pattern[(_position + i) % pattern.Length];
            }
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Counts what is written to it, and keeps none of it.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
