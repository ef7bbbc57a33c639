using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// What an operator sees: the <c>SessionFunctions</c> meter and activity source, observed with the .NET listeners
/// OpenTelemetry builds on, and the health probes against a real redis-server that goes away and comes back.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ObservabilityTests(RedisServer redis)
{
    /// <summary>
    /// Sums every measurement of one app's SessionFunctions meter by instrument, and by instrument and tag value. Other
    /// tests run apps in parallel: their meters come from other factories, so the scope tells them apart.
    /// </summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();

        public Measurements(SessionApiFactory api)
        {
            api.CreateClient().Dispose();
            var scope = api.Services.GetService(typeof(IMeterFactory));
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "SessionFunctions" && ReferenceEquals(instrument.Meter.Scope, scope)) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Add(instrument, 1, tags));
            _listener.Start();
        }

        public ConcurrentDictionary<string, long> Totals { get; } = new();

        public long this[string name] => Totals.GetValueOrDefault(name);

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value);
            foreach (var tag in tags) Totals.AddOrUpdate($"{instrument.Name}|{tag.Key}={tag.Value}", value, (_, total) => total + value);
        }
    }

    [Fact]
    public async Task Every_operation_moves_its_counter_and_each_store_command_is_timed_and_traced_without_the_session_id()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        using var measurements = new Measurements(api);
        var spans = new ConcurrentBag<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "SessionFunctions",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(tracing);
        var client = api.CreateSessionClient();

        await client.PostAsync(json: """{"count":1}""");
        await client.PutAsync("""{"count":2}""");
        await client.PutAsync("""{"count":2}""");
        var etag = (await client.GetAsync()).Headers.ETag!.ToString();
        await redis.Database.StringSetAsync(SessionKeys.Of(client.Jar["koa.sid"]), (string)(await redis.Database.StringGetAsync(SessionKeys.Of(client.Jar["koa.sid"])))! + " ");
        await client.PutAsync("""{"count":3}""", configure: r => r.Headers.TryAddWithoutValidation("If-Match", etag));
        await client.RegenerateAsync();
        await client.PostAsync(json: "{}", configure: r => r.Headers.TryAddWithoutValidation("Origin", "https://evil.example"));
        var sid = client.Jar["koa.sid"];
        await client.DeleteAsync();

        Assert.Equal(1, measurements["sessionfunctions.sessions.created"]);
        Assert.Equal(1, measurements["sessionfunctions.sessions.saved"]);
        Assert.Equal(1, measurements["sessionfunctions.saves.unchanged"]);
        Assert.Equal(1, measurements["sessionfunctions.preconditions.failed"]);
        Assert.Equal(1, measurements["sessionfunctions.sessions.regenerated"]);
        Assert.Equal(1, measurements["sessionfunctions.csrf.rejected"]);
        Assert.Equal(1, measurements["sessionfunctions.sessions.removed"]);
        Assert.Equal(2, measurements["sessionfunctions.store.duration|session.store.operation=create"]); // the POST and the regenerate
        Assert.True(measurements["sessionfunctions.store.duration|session.store.operation=replace"] >= 2);
        Assert.Equal(measurements["sessionfunctions.store.duration"], measurements["sessionfunctions.store.duration|outcome=ok"]);

        Assert.NotEmpty(spans);
        Assert.All(spans, span =>
        {
            Assert.StartsWith("session.store ", span.DisplayName, StringComparison.Ordinal);
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.DoesNotContain(span.TagObjects, tag => tag.Value?.ToString()?.Contains(sid, StringComparison.Ordinal) == true);
        });
        Assert.DoesNotContain(measurements.Totals.Keys, key => key.Contains(sid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readiness_turns_503_within_the_reconnect_timeout_of_redis_going_away_and_200_when_it_is_back()
    {
        await using var own = await RedisServer.StartNewAsync();
        using var api = SessionApiFactory.WithRedis(own, ("Session:ReconnectTimeout", "1000"));
        using var measurements = new Measurements(api);
        using var http = api.CreateClient();
        Assert.Equal(200, (int)(await http.GetAsync("/readyz")).StatusCode);
        var live = await http.GetAsync("/healthz");
        Assert.Equal(200, (int)live.StatusCode);
        Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
        Assert.True(live.Headers.CacheControl!.NoStore);

        await own.KillAsync();
        var clock = Stopwatch.StartNew();
        var down = await http.GetAsync("/readyz");
        Assert.Equal(503, (int)down.StatusCode);
        Assert.Equal("Unhealthy", await down.Content.ReadAsStringAsync()); // no reason, no host names
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed}");
        Assert.Equal(200, (int)(await http.GetAsync("/healthz")).StatusCode); // alive all the same

        // A request meanwhile waits for the store, and is counted while it does.
        var session = api.CreateSessionClient();
        Assert.Equal(503, (await session.PostAsync(json: "{}")).Status);
        Assert.Equal(1, measurements["sessionfunctions.store.outages"]);
        Assert.Equal(0, measurements["sessionfunctions.store.reconnect_waits"]); // +1 while waiting, -1 when it gave up
        Assert.True(measurements["sessionfunctions.store.duration|outcome=unavailable"] >= 1);

        await own.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        int status;
        do
        {
            status = (int)(await http.GetAsync("/readyz")).StatusCode;
            if (status != 200) await Task.Delay(100);
        }
        while (status != 200 && DateTime.UtcNow < deadline);
        Assert.Equal(200, status);
    }
}

/// <summary>The standalone server's OTLP export, against a stand-in collector on loopback.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task With_an_otlp_endpoint_the_server_exports_metrics_and_traces_and_without_one_nothing()
    {
        var received = new ConcurrentDictionary<string, int>();
        var port = RedisServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            if (body.Length > 0) received.AddOrUpdate(signal, 1, (_, n) => n + 1);
            return Results.Ok();
        });
        await collector.StartAsync();

        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Session__Keys__0"] = "k",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "300",
        });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var create = await http.PostAsync("/api/session", new StringContent("""{"a":1}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, create.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((!received.ContainsKey("metrics") || !received.ContainsKey("traces")) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(received.ContainsKey("metrics"), "no metrics reached the collector");
        Assert.True(received.ContainsKey("traces"), "no traces reached the collector");

        // Without the variable no provider exists to export anything.
        using var plain = SessionApiFactory.WithMemory();
        plain.CreateClient().Dispose();
        Assert.Null(plain.Services.GetService(typeof(OpenTelemetry.Metrics.MeterProvider)));
    }
}
