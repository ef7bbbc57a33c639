using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a plain socket, byte for byte as given: malformed requests (NUL in a header, a lying Content-Length, a
/// bad Host, several Cookie headers) that HttpClient refuses to send or silently repairs. One request per connection.
/// </summary>
public static class RawHttp
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A well-framed request: the request line, <c>Host</c> (unless <paramref name="headers"/> has one), the headers in
    /// order (repeats allowed), <c>Content-Length</c> for a body (unless given or chunked), and <c>Connection: close</c>.
    /// </summary>
    public static byte[] Request(string method, string target, IEnumerable<(string Name, string Value)>? headers = null, byte[]? body = null, int port = 0)
    {
        var list = (headers ?? []).ToList();
        var text = new StringBuilder(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        if (!list.Any(h => h.Name.Equals("Host", StringComparison.OrdinalIgnoreCase)))
            text.Append(CultureInfo.InvariantCulture, $"Host: 127.0.0.1{(port > 0 ? $":{port}" : "")}\r\n");
        foreach (var (name, value) in list) text.Append(name).Append(": ").Append(value).Append("\r\n");
        var chunked = list.Any(h => h.Name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase));
        if (body is not null && !chunked && !list.Any(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            text.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        text.Append("Connection: close\r\n\r\n");
        // Header values are sent as UTF-8, as browsers send non-ASCII cookies.
        var head = Encoding.UTF8.GetBytes(text.ToString());
        if (body is null) return head;
        return chunked ? [.. head, .. Chunked(body)] : [.. head, .. body];
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and reads the response.</summary>
    /// <param name="port">The server's loopback port.</param>
    /// <param name="request">The bytes to send.</param>
    /// <param name="timeout">How long to wait for the whole response; longer is a hang, and throws <see cref="TimeoutException"/>.</param>
    /// <param name="headOnly">A HEAD request: the response has no body whatever its headers say.</param>
    /// <returns>The response, or a response with status 0 when the server closed the connection without one.</returns>
    public static async Task<RawResponse> SendAsync(int port, byte[] request, TimeSpan? timeout = null, bool headOnly = false)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        using var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, cancel.Token);
            var stream = tcp.GetStream();
            try
            {
                await stream.WriteAsync(request, cancel.Token);
            }
            catch (IOException)
            {
                // The server may answer and close before it has read everything (e.g. 431): read what it sent.
            }
            return await ReadResponseAsync(stream, headOnly, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"No complete response within {(timeout ?? DefaultTimeout).TotalSeconds} s to:\n{Describe(request)}");
        }
    }

    /// <summary>The request as text for a failure message: control bytes and non-ASCII as escapes, runs of one byte shortened, about <paramref name="max"/> characters.</summary>
    public static string Describe(byte[] request, int max = 1200)
    {
        var text = new StringBuilder();
        var shown = request.AsSpan();
        for (var i = 0; i < shown.Length && text.Length < max; i++)
        {
            var b = shown[i];
            text.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n\n",
                < 0x20 or >= 0x7f => $"\\x{b:x2}",
                _ => ((char)b).ToString(),
            });
            // A long run of one byte (a padded path or body) is shown once, with its length.
            var run = 1;
            while (i + run < shown.Length && shown[i + run] == b) run++;
            if (run > 16)
            {
                text.Append(CultureInfo.InvariantCulture, $"…(×{run})");
                i += run - 1;
            }
        }
        if (text.Length >= max) text.Append(CultureInfo.InvariantCulture, $"… ({request.Length} bytes)");
        return text.ToString();
    }

    public static byte[] Chunked(byte[] body)
    {
        using var chunks = new MemoryStream();
        // Two chunks when there is enough, to exercise the chunk parser.
        var first = body.Length / 2;
        foreach (var part in new[] { body.AsMemory(0, first), body.AsMemory(first) })
        {
            if (part.Length == 0) continue;
            chunks.Write(Encoding.ASCII.GetBytes($"{part.Length:x}\r\n"));
            chunks.Write(part.Span);
            chunks.Write("\r\n"u8);
        }
        chunks.Write("0\r\n\r\n"u8);
        return chunks.ToArray();
    }

    private static async Task<RawResponse> ReadResponseAsync(NetworkStream stream, bool headOnly, CancellationToken cancel)
    {
        var reader = new BufferedReader(stream);
        int status;
        var headers = new List<(string Name, string Value)>();
        do
        {
            // An interim response (100 Continue) comes before the real one.
            var statusLine = await reader.ReadLineAsync(cancel);
            if (statusLine is null) return RawResponse.NoResponse;
            status = int.Parse(statusLine.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
            headers.Clear();
            while (await reader.ReadLineAsync(cancel) is { Length: > 0 } line)
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
        }
        while (status is >= 100 and < 200);
        string? Header(string name) => headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

        byte[] body;
        if (headOnly || status is 204 or 304) body = [];
        else if (Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var decoded = new MemoryStream();
            while (true)
            {
                var size = Convert.ToInt32((await reader.ReadLineAsync(cancel) ?? "0").Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    while (await reader.ReadLineAsync(cancel) is { Length: > 0 }) { } // trailers
                    break;
                }
                decoded.Write(await reader.ReadExactlyAsync(size, cancel));
                await reader.ReadLineAsync(cancel);
            }
            body = decoded.ToArray();
        }
        else if (Header("Content-Length") is { } length) body = await reader.ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), cancel);
        else body = await reader.ReadToEndAsync(cancel);
        return new RawResponse(status, headers, body);
    }

    private sealed class BufferedReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken cancel)
        {
            using var line = new MemoryStream();
            while (true)
            {
                if (_start == _end && !await FillAsync(cancel)) return line.Length == 0 ? null : Encoding.UTF8.GetString(line.ToArray());
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline < 0)
                {
                    line.Write(_buffer, _start, _end - _start);
                    _start = _end;
                    continue;
                }
                line.Write(_buffer, _start, newline - _start);
                _start = newline + 1;
                return Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\r');
            }
        }

        public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancel)
        {
            var result = new byte[count];
            var filled = 0;
            while (filled < count)
            {
                if (_start == _end && !await FillAsync(cancel)) throw new IOException($"The connection closed after {filled} of {count} body bytes.");
                var take = Math.Min(count - filled, _end - _start);
                Array.Copy(_buffer, _start, result, filled, take);
                _start += take;
                filled += take;
            }
            return result;
        }

        public async Task<byte[]> ReadToEndAsync(CancellationToken cancel)
        {
            using var all = new MemoryStream();
            do
            {
                all.Write(_buffer, _start, _end - _start);
                _start = _end;
            }
            while (await FillAsync(cancel));
            return all.ToArray();
        }

        private async Task<bool> FillAsync(CancellationToken cancel)
        {
            try
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancel);
            }
            catch (IOException)
            {
                _end = 0; // reset by the server
            }
            return _end > 0;
        }
    }
}

/// <summary>A response read off the wire; <see cref="Status"/> 0 when the server closed the connection without one.</summary>
public sealed record RawResponse(int Status, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    public static readonly RawResponse NoResponse = new(0, [], []);

    public string? Header(string name) => Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> All(string name) => Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public string Text => Encoding.UTF8.GetString(Body);

    public string? MediaType => MediaTypeHeaderValue.TryParse(Header("Content-Type"), out var media) ? media.MediaType : null;

    public bool IsProblem => MediaType == "application/problem+json";

    /// <summary>The problem's <c>type</c>; null when the body is not problem+json or has no string <c>type</c>.</summary>
    public string? ProblemType
    {
        get
        {
            if (!IsProblem) return null;
            try
            {
                return JsonNode.Parse(Body) is JsonObject problem && problem["type"] is JsonValue type && type.TryGetValue<string>(out var text) ? text : null;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>The value a Set-Cookie sets for <paramref name="name"/>: null when not set, "" when cleared.</summary>
    public string? SetCookie(string name)
    {
        var header = All("Set-Cookie").LastOrDefault(h => h.StartsWith(name + "=", StringComparison.Ordinal));
        if (header is null) return null;
        if (header.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal)) return "";
        var pair = header.Split(';')[0];
        return pair[(name.Length + 1)..];
    }

    public string Summary(int max = 400)
    {
        var text = Text;
        return $"{Status} {Header("Content-Type")} {(text.Length <= max ? text : text[..max] + "…")}";
    }
}
