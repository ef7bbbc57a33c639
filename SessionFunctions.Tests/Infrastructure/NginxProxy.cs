using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// Debian's nginx as a stand-in for the Azure Functions host's HTTP proxy, in front of a server on loopback: like the
/// host it forwards the client's Host header but sets <c>X-Forwarded-Proto</c>, <c>-For</c> and <c>-Host</c> itself
/// (overwriting whatever the client sent), refuses bodies over a limit with its own 413, and answers verbs no function
/// could declare with its own 405, never calling the server. One foreground process (no daemon, no master) with every
/// file in a temporary directory; it fails loudly when nginx is missing: the README's test command installs it.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private NginxProxy(Process process, string directory, int port, string forwardedProto)
    {
        _process = process;
        _directory = directory;
        Port = port;
        ForwardedProto = forwardedProto;
    }

    public int Port { get; }

    /// <summary>What the proxy tells the server the client used: <c>https</c> for a TLS-terminating front end.</summary>
    public string ForwardedProto { get; }

    /// <summary>The address clients connect to (plain HTTP on loopback).</summary>
    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>The origin the server should consider its own behind this proxy: the forwarded scheme and the Host header.</summary>
    public string PublicOrigin => $"{ForwardedProto}://127.0.0.1:{Port}";

    /// <param name="upstreamPort">The loopback port of the server behind the proxy.</param>
    /// <param name="forwardedProto">The scheme the proxy reports in <c>X-Forwarded-Proto</c>, whatever the client sent.</param>
    /// <param name="maxBodyBytes">The proxy's request body limit (nginx's <c>client_max_body_size</c>).</param>
    public static async Task<NginxProxy> StartAsync(int upstreamPort, string forwardedProto, long maxBodyBytes)
    {
        var executable = Environment.GetEnvironmentVariable("NGINX") ?? FindNginx()
            ?? throw new InvalidOperationException(
                "nginx was not found (on PATH or at /usr/sbin/nginx). Install it (apt-get install nginx) or run the README's test command, which does.");
        var directory = Directory.CreateTempSubdirectory("sessionfunctions-nginx-").FullName;
        var port = RedisServer.FreePort();
        var config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(directory, port, upstreamPort, forwardedProto, maxBodyBytes));

        // -e: nginx opens its compiled-in error log before reading the configuration; keep even that in the directory.
        var process = Process.Start(new ProcessStartInfo(executable, ["-p", directory + "/", "-c", config, "-e", Path.Combine(directory, "error.log")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proxy = new NginxProxy(process, directory, port, forwardedProto);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (process.HasExited)
            {
                await proxy.DisposeAsync();
                lock (output) throw new InvalidOperationException($"nginx exited with code {process.ExitCode}:\n{output}");
            }
            if (await AcceptsAsync(port)) return proxy;
            if (DateTime.UtcNow > deadline)
            {
                await proxy.DisposeAsync();
                throw new InvalidOperationException($"nginx did not listen on port {port} within 10 s.");
            }
            await Task.Delay(50);
        }
    }

    private static string? FindNginx() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/sbin")
            .Select(directory => Path.Combine(directory, "nginx"))
            .FirstOrDefault(File.Exists);

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Config(string directory, int port, int upstreamPort, string forwardedProto, long maxBodyBytes) => $$"""
        daemon off;
        master_process off;
        worker_processes 1;
        pid {{directory}}/nginx.pid;
        error_log {{directory}}/error.log warn;
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path {{directory}}/client_body;
            proxy_temp_path {{directory}}/proxy;
            fastcgi_temp_path {{directory}}/fastcgi;
            uwsgi_temp_path {{directory}}/uwsgi;
            scgi_temp_path {{directory}}/scgi;
            # The host's request body limit (100 MiB in Azure); over it the proxy answers 413 and never calls the server.
            client_max_body_size {{maxBodyBytes}};
            upstream session_api { server 127.0.0.1:{{upstreamPort}}; keepalive 4; }
            server {
                listen 127.0.0.1:{{port}};
                location / {
                    # Verbs no function can declare: the proxy answers them itself.
                    if ($request_method !~ ^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$) { return 405; }
                    proxy_pass http://session_api;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $http_host;
                    # The proxy's own values, never the client's.
                    proxy_set_header X-Forwarded-Proto {{forwardedProto}};
                    proxy_set_header X-Forwarded-For $remote_addr;
                    proxy_set_header X-Forwarded-Host $http_host;
                }
            }
        }
        """;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }
}
