using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace RemoteGpu.Tests.ServiceDefaults;

/// <summary>Which spans ServiceDefaults keeps out of the exported traces (polls and probes), and which it keeps.</summary>
public sealed class TraceNoiseFilterTests : IDisposable
{
    private readonly ActivitySource _npgsql = new("Npgsql");
    private readonly ActivitySource _redis = new("OpenTelemetry.Instrumentation.StackExchangeRedis");
    private readonly ActivitySource _service = new("RemoteGpu.Worker");
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = _ => true,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };
    private readonly TraceNoiseFilter _filter = new();

    public TraceNoiseFilterTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public void ACommandOfNoRequestOrJob_IsLeftOut()
    {
        using (var poll = _redis.StartActivity("XREADGROUP")!)
        {
            Assert.False(Exported(poll));
        }
        using var query = _npgsql.StartActivity("postgresql")!;
        Assert.False(Exported(query));
    }

    [Fact]
    public void ACommandOfAJob_AndTheJob_AreKept()
    {
        using var job = _service.StartActivity("converge remotegpu:provision")!;
        using var query = _npgsql.StartActivity("postgresql")!;
        using var hint = _redis.StartActivity(ActivityKind.Client, job.Context, name: "XACK")!;

        Assert.True(Exported(query));
        Assert.True(Exported(hint));
        Assert.True(Exported(job));
    }

    [Fact]
    public void ASpanUnderOneLeftOut_IsLeftOut_ButAJobOfItsOwnIsKept()
    {
        using var probe = _service.StartActivity("GET /health")!;
        probe.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded; // as ASP.NET Core's filter leaves a health probe
        using var query = _npgsql.StartActivity("postgresql")!;
        Assert.False(Exported(query));
        query.Stop();
        probe.Stop();

        using var job = _service.StartActivity("reconcile")!;
        Assert.True(Exported(job));
    }

    [Fact]
    public void RedisPing_IsLeftOut_EvenUnderItsProbesId()
    {
        using var ping = _redis.StartActivity(ActivityKind.Client, new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None), name: "PING")!;

        Assert.False(Exported(ping));
    }

    private bool Exported(Activity activity)
    {
        _filter.OnEnd(activity);
        return activity.Recorded;
    }

    public void Dispose()
    {
        _listener.Dispose();
        _npgsql.Dispose();
        _redis.Dispose();
        _service.Dispose();
        _filter.Dispose();
    }
}
