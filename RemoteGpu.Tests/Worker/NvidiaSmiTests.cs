using RemoteGpu.Worker.Health;

namespace RemoteGpu.Tests.Worker;

/// <summary>Reading what <c>nvidia-smi --query-gpu=… --format=csv,noheader,nounits</c> prints.</summary>
public sealed class NvidiaSmiTests
{
    [Fact]
    public void Parse_ReadsOneSamplePerLine_WithNotAvailableAsNull()
    {
        const string output = """
            0, GPU-5b6a1f0e-8d3c-4c57-9d1e-2f1a9c3e7b11, NVIDIA H100 80GB HBM3, 87, 40321, 81559
            1, GPU-0c2d9e4f-1a7b-4e3c-8f6d-5b4a3c2d1e0f, NVIDIA H100 80GB HBM3, [N/A], 0, 81559

            """;
        var gpus = NvidiaSmi.Parse(output);
        Assert.Equal(
            [
                new GpuSample(0, "GPU-5b6a1f0e-8d3c-4c57-9d1e-2f1a9c3e7b11", "NVIDIA H100 80GB HBM3", 87, 40321, 81559),
                new GpuSample(1, "GPU-0c2d9e4f-1a7b-4e3c-8f6d-5b4a3c2d1e0f", "NVIDIA H100 80GB HBM3", null, 0, 81559),
            ],
            gpus);
        Assert.Empty(NvidiaSmi.Parse(""));
    }

    [Theory]
    [InlineData("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")]
    [InlineData("0, GPU-x, name, 87, 40321")]
    [InlineData("0, GPU-x, name, lots, 40321, 81559")]
    [InlineData("index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]")]
    public void Parse_RefusesWhatNvidiaSmiDoesNotPrint(string output) =>
        Assert.Throws<FormatException>(() => NvidiaSmi.Parse(output));
}
