using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// The standalone server as a real Kestrel process with its own redis-server, for the fuzz and the malformed-HTTP tests:
/// they need Kestrel's own parsing (not TestServer's), and exact before/after snapshots of a Redis nobody else writes.
/// </summary>
public sealed class FuzzServer : IAsyncLifetime
{
    public const int MaxBodyBytes = 8192;

    public const string ProblemPrefix = "urn:sessionfunctions:problem:";

    /// <summary>The signing key, then an older key that still verifies (a rotation).</summary>
    public static readonly string[] Keys = ["fuzz-signing-key", "fuzz-older-key"];

    private ServerProcess? _server;

    public RedisServer Redis { get; } = new();

    public int Port => _server!.Port;

    /// <summary>The API's own origin as a browser on it would send it (the Host the raw requests carry).</summary>
    public string Origin => $"http://127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        _server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Redis__ConnectionString"] = Redis.ConnectionString,
            ["Session__Keys__0"] = Keys[0],
            ["Session__Keys__1"] = Keys[1],
            // Small, so that too-large bodies are cheap to send.
            ["Session__MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        await Redis.DisposeAsync();
    }

    /// <summary>Keygrip's signature of the <c>koa.sid</c> cookie (HMAC-SHA1 of <c>koa.sid=&lt;sid&gt;</c>, base64url), made here independently of the product.</summary>
    public static string Sign(string sid, int key = 0)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, Encoding.UTF8.GetBytes(Keys[key]));
        hmac.AppendData(Encoding.UTF8.GetBytes("koa.sid=" + sid));
        return Base64Url.EncodeToString(hmac.GetHashAndReset());
    }

    public static string CookieFor(string sid, int key = 0) => $"koa.sid={sid}; koa.sid.sig={Sign(sid, key)}";

    public static string StoreKey(string sid) => "koa:sess:" + sid;

    public Task<RawResponse> SendAsync(string method, string target, IEnumerable<(string Name, string Value)>? headers = null, byte[]? body = null, TimeSpan? timeout = null) =>
        RawHttp.SendAsync(Port, RawHttp.Request(method, target, headers, body, Port), timeout, headOnly: method == "HEAD");

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A new session holding <paramref name="json"/>; its sid.</summary>
    public async Task<string> CreateSessionAsync(string json)
    {
        var response = await SendAsync("POST", "/api/session", [("Content-Type", "application/json")], Utf8(json));
        if (response.Status != 201 || response.SetCookie("koa.sid") is not { Length: > 0 } sid)
            throw new InvalidOperationException("Could not create a session: " + response.Summary());
        return sid;
    }
}

/// <summary>Runs one JavaScript expression on stdin with node, as the Koa side would: the reference for byte-identical JSON.</summary>
public static class Node
{
    /// <summary><c>JSON.stringify(JSON.parse(text))</c>, as UTF-8 bytes.</summary>
    public static async Task<byte[]> RestringifyAsync(byte[] utf8Json)
    {
        var start = new ProcessStartInfo("node", ["-e", "process.stdout.write(JSON.stringify(JSON.parse(require('fs').readFileSync(0, 'utf8'))))"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException("node was not found on PATH: the README's test command installs it.", error);
        }
        using (process)
        {
            await process.StandardInput.BaseStream.WriteAsync(utf8Json);
            process.StandardInput.Close();
            using var stdout = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            var errors = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(cancel.Token);
            await copy;
            if (process.ExitCode != 0) throw new InvalidOperationException("node failed: " + await errors);
            return stdout.ToArray();
        }
    }
}
