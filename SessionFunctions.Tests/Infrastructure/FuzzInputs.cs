using System.Globalization;
using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>Whether a generated part of a request is certainly accepted, certainly refused, or either (no prediction).</summary>
public enum Verdict
{
    Accept,
    Reject,
    Unknown,
}

/// <summary>What a generated body is, so the fuzz can predict the answer when nothing else in the request is wrong.</summary>
public enum BodyKind
{
    /// <summary>No body at all.</summary>
    Empty,
    /// <summary>A JSON object the API accepts.</summary>
    Valid,
    /// <summary>Not JSON the API accepts: syntax, invalid UTF-8, a lone surrogate, a repeated property, too deep.</summary>
    InvalidJson,
    /// <summary>JSON, but not an object.</summary>
    NotObject,
    /// <summary>An object whose <c>cookie</c> overrides are certainly invalid.</summary>
    InvalidCookie,
    /// <summary>An object with a member that reaches a JavaScript prototype: <c>__proto__</c>, or <c>constructor.prototype</c>.</summary>
    ForbiddenKey,
    /// <summary>Anything else (huge numbers, a BOM, overrides that may or may not pass): no prediction.</summary>
    Unknown,
}

public sealed record FuzzBody(byte[] Bytes, BodyKind Kind, string Label)
{
    public static readonly FuzzBody None = new([], BodyKind.Empty, "no body");
}

public enum CookieKind
{
    None,
    Valid,
    OldKey,
    SwappedSig,
    SidOnly,
    SigOnly,
    BadSig,
    SignedUnknown,
    Garbage,
    DuplicateSid,
    TwoHeaders,
    PercentEncoded,
}

/// <summary>Which cookies to send; the fuzz runner fills in the live sessions (<see cref="Session"/>, <see cref="Other"/> index its pool).</summary>
public sealed record CookieSpec(CookieKind Kind, int Session, int Other, string Text)
{
    public static readonly CookieSpec None = new(CookieKind.None, 0, 0, "");
}

public enum Route
{
    Create,
    Get,
    Save,
    Regenerate,
    Remove,
}

/// <summary>The request line: <see cref="Route"/> is set when the method and path are exactly one of the API's routes.</summary>
public sealed record Target(string Method, string Path, Route? Route);

/// <summary>
/// Headers besides Cookie and framing. <c>{origin}</c> in a value stands for the server's own origin. <see cref="Media"/>:
/// whether the Content-Type is UTF-8 JSON; <see cref="Encoded"/>: a Content-Encoding other than identity;
/// <see cref="CrossSite"/>: Reject when the CSRF check certainly refuses a POST, PUT or DELETE.
/// </summary>
public sealed record HeaderSpec(IReadOnlyList<(string Name, string Value)> Headers, Verdict Media, bool Encoded, Verdict CrossSite, bool Chunked, bool Gzip, string Label)
{
    public static readonly HeaderSpec Json = new([("Content-Type", "application/json")], Verdict.Accept, false, Verdict.Accept, false, false, "json");

    /// <summary>Carries a precondition or a range (If-Match, If-None-Match, If-Modified-Since, Range…): its answer is not predicted.</summary>
    public bool Conditional => Headers.Any(h => h.Name.StartsWith("If-", StringComparison.OrdinalIgnoreCase) || h.Name.Equals("Range", StringComparison.OrdinalIgnoreCase));
}

/// <summary>What a request must get: a problem (status and type suffix), or any 2xx (<see cref="Problem"/> null).</summary>
public sealed record Expectation(int Status, string? Problem)
{
    public static readonly Expectation Success = new(200, null);

    public override string ToString() => Problem is null ? "2xx" : $"{Status} {Problem}";
}

public sealed record FuzzCase(Target Target, HeaderSpec Headers, FuzzBody Body, CookieSpec Cookie)
{
    /// <summary>
    /// The answer this request must get when it is predictable: the CSRF check comes first, then (for create and save)
    /// the body's size, encoding, media type and content, each only when it is the one thing wrong.
    /// </summary>
    public Expectation? Expect(int maxBodyBytes)
    {
        if (Target.Route is not { } route || Headers.Conditional) return null;
        if (route != Route.Get && Headers.CrossSite == Verdict.Reject) return new(403, "cross-site-request");
        if (Headers.CrossSite != Verdict.Accept) return null;
        var empty = Body.Bytes.Length == 0;
        switch (route)
        {
            case Route.Get:
                return empty && Cookie.Kind == CookieKind.None ? new(404, "session-not-found") : null;
            case Route.Remove:
                return empty ? Expectation.Success : null;
            case Route.Regenerate:
                return null; // the pool's session may have expired (a fuzzed maxAge of 1 ms): 404 or 2xx
        }
        if (Body.Bytes.Length > maxBodyBytes) return Headers.Media == Verdict.Accept && !Headers.Encoded ? new(413, "body-too-large") : null;
        if (empty) return Headers.Encoded ? null : route == Route.Save ? new(400, "body-required") : Expectation.Success;
        if (Headers.Encoded || Headers.Media == Verdict.Reject) return new(415, "unsupported-media-type");
        if (Headers.Media == Verdict.Unknown) return null;
        return Body.Kind switch
        {
            BodyKind.Valid => Expectation.Success,
            BodyKind.InvalidJson => new(400, "invalid-json"),
            BodyKind.NotObject => new(400, "body-not-object"),
            // Checked once the body is an object, before its cookie overrides are.
            BodyKind.ForbiddenKey => new(400, "forbidden-key"),
            BodyKind.InvalidCookie => new(400, "invalid-cookie"),
            _ => null,
        };
    }

    public override string ToString() =>
        $"{Target.Method} {(Target.Path.Length <= 120 ? Target.Path : Target.Path[..120] + $"… ({Target.Path.Length} chars)")} | headers: {Headers.Label} | cookie: {Cookie.Kind} | body: {Body.Label} ({Body.Bytes.Length} B)";
}

/// <summary>
/// FsCheck generators for the fuzz: JSON values written byte by byte (escaped or raw, with lone surrogates, invalid
/// UTF-8, repeated keys and deep nesting when asked), cookie overrides with a verdict, cookies, headers, methods and paths.
/// </summary>
public static class FuzzInputs
{
    // ---- strings ----

    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "count", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\u0000", "\u0001", "\u001f", "\u007f",
        "\u0080", "\u00a0", "é", "ß", "ñ", "漢字", "한국어", "😀", "👍🏽", "🇫🇷", "𝄞", "\u2028", "\u2029", "\ufeff", "\ufffd",
        "\uffff", "\ufffe", "<", ">", "&", "'", "+", "`", "<script>", "\u200b", "ℵ", "Ω",
    ];

    private static readonly string[] LoneSurrogates = ["\ud800", "\udbff", "\udc00", "\udfff", "\udc00\ud800", "\ud83d"];

    /// <summary>Text of 0–6 pieces: ASCII, controls, quotes, Latin, CJK, emoji (surrogate pairs), line separators, non-characters.</summary>
    public static Gen<string> Text(int maxPieces = 6) =>
        Gen.Choose(0, maxPieces).SelectMany(n => Gen.ArrayOf(Gen.Elements(Pieces), n)).Select(string.Concat);

    /// <summary>Text holding at least one lone surrogate (high, low, or a reversed pair).</summary>
    public static Gen<string> TextWithLoneSurrogate() =>
        from before in Text(3)
        from lone in Gen.Elements(LoneSurrogates)
        from after in Text(3)
        select before + lone + after;

    // ---- JSON written by hand, so every escape and byte is chosen here ----

    public abstract record J;

    public sealed record JLiteral(string Text) : J;

    public sealed record JString(string Value) : J;

    public sealed record JArray(IReadOnlyList<J> Items) : J;

    public sealed record JObject(IReadOnlyList<(string Key, J Value)> Members) : J;

    /// <summary>Writes <paramref name="value"/>; <paramref name="escape"/> picks, per string, \u escapes for all non-ASCII or raw UTF-8.</summary>
    public static string Write(J value, Func<bool> escape)
    {
        var text = new StringBuilder();
        Write(text, value, escape);
        return text.ToString();
    }

    private static void Write(StringBuilder text, J value, Func<bool> escape)
    {
        switch (value)
        {
            case JLiteral literal:
                text.Append(literal.Text);
                break;
            case JString s:
                WriteString(text, s.Value, escape());
                break;
            case JArray array:
                text.Append('[');
                for (var i = 0; i < array.Items.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    Write(text, array.Items[i], escape);
                }
                text.Append(']');
                break;
            case JObject obj:
                text.Append('{');
                for (var i = 0; i < obj.Members.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    WriteString(text, obj.Members[i].Key, escape());
                    text.Append(':');
                    Write(text, obj.Members[i].Value, escape);
                }
                text.Append('}');
                break;
        }
    }

    /// <summary>A JSON string; lone surrogates always as \u escapes (UTF-8 cannot carry them), the rest raw or escaped.</summary>
    public static void WriteString(StringBuilder text, string value, bool escapeNonAscii)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var paired = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            if (c == '"') text.Append("\\\"");
            else if (c == '\\') text.Append("\\\\");
            else if (c == '\n' && !escapeNonAscii) text.Append("\\n");
            else if (c < ' ' || (char.IsSurrogate(c) && !paired) || (c > '~' && escapeNonAscii))
            {
                text.Append(escapeNonAscii ? "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else if (paired)
            {
                text.Append(c).Append(value[++i]);
            }
            else text.Append(c);
        }
        text.Append('"');
    }

    private static readonly string[] Numbers = ["0", "1", "-1", "42", "3.14", "-0", "1e3", "1E-3", "123456789", "9007199254740993", "0.1", "2.5e+10", "-273.15"];

    private static readonly string[] HugeNumbers = ["1e400", "-1e400", "1e-400", "1" + new string('0', 400), "-" + new string('9', 300) + ".5", "123456789012345678901234567890"];

    private static Gen<J> Scalar(Gen<string> text) =>
        Gen.Frequency(
            (2, Gen.Elements<J>(new JLiteral("null"), new JLiteral("true"), new JLiteral("false"))),
            (3, Gen.Elements(Numbers).Select(n => (J)new JLiteral(n))),
            (5, text.Select(s => (J)new JString(s))));

    /// <summary>A JSON value nested up to <paramref name="depth"/> levels, with strings from <paramref name="text"/>.</summary>
    public static Gen<J> Value(int depth, Gen<string> text) =>
        depth <= 0
            ? Scalar(text)
            : Gen.Choose(0, 9).SelectMany(pick => pick switch
            {
                < 6 => Scalar(text),
                < 8 => ObjectOf(depth - 1, text, 3).Select(o => (J)o),
                _ => Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Value(depth - 1, text), n)).Select(items => (J)new JArray(items)),
            });

    /// <summary>An object of up to <paramref name="maxMembers"/> distinct keys (never <c>cookie</c>).</summary>
    public static Gen<JObject> ObjectOf(int depth, Gen<string> text, int maxMembers) =>
        from n in Gen.Choose(0, maxMembers)
        from keys in Gen.ArrayOf(Gen.Frequency((3, Text(3)), (1, Gen.Elements("nick", "count", "__proto__", "constructor", "prototype", "", "toString", "cookies", "Cookie"))), n)
        from values in Gen.ArrayOf(Value(depth, text), n)
        select new JObject(keys.Zip(values).DistinctBy(m => m.First, StringComparer.Ordinal).Where(m => m.First != "cookie").ToList());

    /// <summary>Serializes with a per-string coin flip between raw UTF-8 and \u escapes, deterministic from the generated seed.</summary>
    public static Gen<byte[]> Utf8(J value) =>
        Gen.Choose(0, int.MaxValue).Select(seed =>
        {
            var random = new Random(seed);
            return Encoding.UTF8.GetBytes(Write(value, () => random.Next(4) == 0));
        });

    // ---- bodies ----

    /// <summary>
    /// Whether the API refuses <paramref name="value"/>'s member names (docs/hostile-clients.md, L8): <c>__proto__</c> at
    /// any depth, or <c>prototype</c> directly inside a member named <c>constructor</c>.
    /// </summary>
    public static bool ReachesPrototype(J value, bool inConstructor = false) => value switch
    {
        JObject obj => obj.Members.Any(m => m.Key == "__proto__" || (inConstructor && m.Key == "prototype") || ReachesPrototype(m.Value, m.Key == "constructor")),
        JArray array => array.Items.Any(item => ReachesPrototype(item)),
        _ => false,
    };

    /// <summary>An object body: valid, unless a member name reaches a prototype.</summary>
    private static Gen<FuzzBody> ObjectBody(JObject obj) =>
        Utf8(obj).Select(bytes => ReachesPrototype(obj) ? new FuzzBody(bytes, BodyKind.ForbiddenKey, "object with a prototype key") : new FuzzBody(bytes, BodyKind.Valid, "object"));

    /// <summary>A small object body, the baseline for the dimensions other than bodies.</summary>
    public static Gen<FuzzBody> SimpleBody() => ObjectOf(1, Text(), 3).SelectMany(ObjectBody);

    /// <summary>Every kind of body: valid objects, broken JSON, invalid UTF-8, lone surrogates, repeated keys, deep nesting, non-objects, too large.</summary>
    public static Gen<FuzzBody> Body(int maxBodyBytes) =>
        Gen.Frequency(
            (8, ObjectOf(3, Text(), 5).SelectMany(ObjectBody)),
            (2, Gen.Constant(FuzzBody.None)),
            (5, LoneSurrogateBody()),
            (4, InvalidUtf8Body()),
            (3, DuplicateKeyBody()),
            (3, DeepBody()),
            (3, NotObjectBody()),
            (4, BrokenSyntaxBody()),
            (2, HugeNumberBody()),
            (1, TooLargeBody(maxBodyBytes)));

    private static Gen<FuzzBody> LoneSurrogateBody() =>
        from obj in ObjectOf(1, Text(), 2)
        from lone in TextWithLoneSurrogate()
        from inKey in Gen.Elements(false, true)
        from nested in Gen.Elements(false, true)
        let member = inKey ? (lone, (J)new JLiteral("1")) : ("x", nested ? new JArray([new JObject([("deep", (J)new JString(lone))])]) : (J)new JString(lone))
        from bytes in Utf8(new JObject([.. obj.Members, member]))
        select new FuzzBody(bytes, BodyKind.InvalidJson, $"lone surrogate in a {(inKey ? "key" : nested ? "nested value" : "value")}");

    private static readonly byte[][] BadUtf8 =
    [
        [0xff], [0xfe], [0xc3], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe6, 0xbc],
    ];

    /// <summary>A valid object with invalid UTF-8 (a stray, overlong, truncated or surrogate-encoding sequence) inside a string.</summary>
    private static Gen<FuzzBody> InvalidUtf8Body() =>
        from obj in ObjectOf(1, Text(), 2)
        from bad in Gen.Elements(BadUtf8)
        from inKey in Gen.Elements(false, true)
        from prefix in Text(2)
        select new FuzzBody(
            [.. Encoding.UTF8.GetBytes((obj.Members.Count > 0 ? Write(obj, () => false)[..^1] + "," : "{") + (inKey ? "\"" + Escape(prefix) : "\"k\":\"" + Escape(prefix))), .. bad, .. Encoding.UTF8.GetBytes(inKey ? "\":1}" : "\"}")],
            BodyKind.InvalidJson,
            $"invalid UTF-8 in a {(inKey ? "key" : "value")} ({Convert.ToHexString(bad)})");

    private static string Escape(string text)
    {
        var quoted = new StringBuilder();
        WriteString(quoted, text, escapeNonAscii: false);
        return quoted.ToString()[1..^1];
    }

    private static Gen<FuzzBody> DuplicateKeyBody() =>
        from value in Value(1, Text(3))
        from other in Value(1, Text(3))
        from form in Gen.Choose(0, 3)
        let text = form switch
        {
            0 => "{\"a\":" + Write(value, () => false) + ",\"a\":" + Write(other, () => false) + "}",
            1 => """{"a":1,"\u0061":2}""",
            2 => "{\"outer\":{\"k\":" + Write(value, () => false) + ",\"k\":0}}",
            _ => """{"cookie":{},"cookie":{"maxAge":1000}}""",
        }
        select new FuzzBody(Encoding.UTF8.GetBytes(text), BodyKind.InvalidJson, $"repeated key (form {form})");

    private static Gen<FuzzBody> DeepBody() =>
        from depth in Gen.Choose(70, 400)
        from arrays in Gen.Elements(false, true)
        let open = arrays ? "[" : "{\"a\":"
        let close = arrays ? "]" : "}"
        select new FuzzBody(
            Encoding.UTF8.GetBytes("{\"x\":" + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + "}"),
            BodyKind.InvalidJson, $"nested too deep ({depth})");

    private static Gen<FuzzBody> NotObjectBody() =>
        from value in Gen.Frequency(
            (2, Scalar(Text(3))),
            (1, Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Value(1, Text(3)), n)).Select(items => (J)new JArray(items))))
        from bytes in Utf8(value)
        from space in Gen.Elements("", " ", "\n\t ")
        select new FuzzBody([.. Encoding.UTF8.GetBytes(space), .. bytes, .. Encoding.UTF8.GetBytes(space)], BodyKind.NotObject, "not an object");

    private static Gen<FuzzBody> BrokenSyntaxBody() =>
        from obj in ObjectOf(2, Text(), 3)
        from form in Gen.Choose(0, 10)
        let text = Write(obj, () => false)
        from cut in Gen.Choose(1, Math.Max(1, text.Length - 1))
        let broken = form switch
        {
            0 => text[..cut],
            1 => text + " trailing",
            2 => text + "{}",
            3 => "{'a':1}",
            4 => "{\"a\":1,}",
            5 => "{\"a\":NaN}",
            6 => "{a:1}",
            7 => "/* c */" + text,
            8 => "{\"a\":\"tab\there\"}",
            9 => "{\"a\":\"\\x41\"}",
            _ => "{\"a\":01}",
        }
        where broken.Length > 0 && broken != "{}" && broken != text
        select new FuzzBody(Encoding.UTF8.GetBytes(broken), BodyKind.InvalidJson, $"broken syntax (form {form})");

    private static Gen<FuzzBody> HugeNumberBody() =>
        from n in Gen.Elements(HugeNumbers)
        from bom in Gen.Elements(false, true)
        select new FuzzBody(
            [.. bom ? "\ufeff"u8.ToArray() : [], .. Encoding.UTF8.GetBytes($$"""{"n":{{n}}}""")],
            BodyKind.Unknown, (bom ? "BOM, " : "") + "huge number");

    private static Gen<FuzzBody> TooLargeBody(int maxBodyBytes) =>
        from extra in Gen.Choose(1, maxBodyBytes)
        from piece in Gen.Elements("a", "😀", "漢")
        select new FuzzBody(
            Encoding.UTF8.GetBytes("{\"x\":\"" + string.Concat(Enumerable.Repeat(piece, (maxBodyBytes + extra) / Encoding.UTF8.GetByteCount(piece))) + "\"}"),
            BodyKind.Unknown, "too large");

    // ---- cookie overrides ----

    private static (J Value, Verdict Verdict) V(string json, Verdict verdict) => (new JLiteral(json), verdict);

    private static readonly Dictionary<string, (J Value, Verdict Verdict)[]> OverrideValues = new()
    {
        ["maxAge"] =
        [
            V("0", Verdict.Accept), V("1000", Verdict.Accept), V("86400000", Verdict.Accept), V("2592000000", Verdict.Accept), V("null", Verdict.Accept),
            V("-1", Verdict.Reject), V("1.5", Verdict.Reject), V("\"1000\"", Verdict.Reject), V("true", Verdict.Reject), V("{}", Verdict.Reject), V("[]", Verdict.Reject),
            V("922337203685478", Verdict.Reject), V("922337203685477", Verdict.Reject), V("9223372036854775807", Verdict.Reject), V("9223372036854775808", Verdict.Reject),
            V("-9223372036854775808", Verdict.Reject), V("1e300", Verdict.Reject), V("1e400", Verdict.Reject), V("-1e400", Verdict.Reject),
            V("99999999999999999999", Verdict.Reject), V("1000000000000", Verdict.Reject), V("1.7976931348623157e308", Verdict.Reject),
            V("1e3", Verdict.Unknown), V("1.0", Verdict.Unknown), V("-0", Verdict.Unknown), V("34560000000", Verdict.Unknown), V("34560000001", Verdict.Unknown),
        ],
        ["expires"] =
        [
            V("null", Verdict.Accept), V("\"tomorrow\"", Verdict.Reject), V("\"2001-01-01T00:00:00.000Z\"", Verdict.Reject), V("\"9999-12-31T23:59:59.999Z\"", Verdict.Reject),
            V("true", Verdict.Reject), V("{}", Verdict.Reject), V("\"\"", Verdict.Reject), V("1e400", Verdict.Reject),
            V("1893456000000", Verdict.Unknown), V("\"2030-01-01\"", Verdict.Unknown),
        ],
        ["sameSite"] =
        [
            V("\"lax\"", Verdict.Accept), V("\"strict\"", Verdict.Accept), V("true", Verdict.Accept), V("false", Verdict.Accept), V("null", Verdict.Accept),
            V("\"none\"", Verdict.Reject), V("\"sometimes\"", Verdict.Reject), V("1", Verdict.Reject), V("{}", Verdict.Reject), V("[]", Verdict.Reject),
            V("\"Lax\"", Verdict.Unknown), V("\"STRICT\"", Verdict.Unknown),
        ],
        ["secure"] = [V("false", Verdict.Accept), V("null", Verdict.Accept), V("true", Verdict.Reject), V("\"yes\"", Verdict.Reject), V("1", Verdict.Reject)],
        ["priority"] =
        [
            V("\"low\"", Verdict.Accept), V("\"medium\"", Verdict.Accept), V("\"high\"", Verdict.Accept), V("null", Verdict.Accept),
            V("\"urgent\"", Verdict.Reject), V("1", Verdict.Reject), V("true", Verdict.Reject), V("\"HIGH\"", Verdict.Unknown),
        ],
        ["partitioned"] = [V("false", Verdict.Accept), V("null", Verdict.Accept), V("\"yes\"", Verdict.Reject), V("1", Verdict.Reject), V("true", Verdict.Unknown)],
        ["httpOnly"] = [V("true", Verdict.Accept), V("false", Verdict.Reject), V("\"true\"", Verdict.Unknown)],
        ["path"] = [V("\"/\"", Verdict.Accept), V("\"/other\"", Verdict.Reject), V("1", Verdict.Reject)],
        ["domain"] = [V("\"evil.example\"", Verdict.Reject), V("null", Verdict.Unknown)],
        ["signed"] = [V("true", Verdict.Accept), V("false", Verdict.Reject)],
        ["overwrite"] = [V("true", Verdict.Accept), V("false", Verdict.Reject)],
        ["colour"] = [V("\"blue\"", Verdict.Reject)],
        ["MaxAge"] = [V("1000", Verdict.Reject)],
        ["originalMaxAge"] = [V("1000", Verdict.Unknown)],
    };

    /// <summary>One override field: a known value with its verdict, or a random JSON value (no prediction).</summary>
    private static Gen<(string Key, J Value, Verdict Verdict)> OverrideField() =>
        from key in Gen.Elements(OverrideValues.Keys.ToArray())
        from known in Gen.Frequency((4, Gen.Elements(OverrideValues[key])), (1, Value(1, Text(3)).Select(v => (v, Verdict.Unknown))))
        select (key, known.Item1, known.Item2);

    /// <summary>A body with random fields and random <c>cookie</c> overrides; its kind follows from the overrides' verdicts.</summary>
    public static Gen<FuzzBody> OverrideBody() =>
        from fields in ObjectOf(2, Text(), 3)
        from shape in Gen.Choose(0, 19)
        from chosen in Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(OverrideField(), n))
        from notObject in Gen.Elements("5", "null", "\"maxAge\"", "[]", "true", "[{\"maxAge\":1000}]")
        let members = chosen.DistinctBy(f => f.Key, StringComparer.Ordinal).ToList()
        let overrides = shape == 0 ? (J)new JLiteral(notObject) : new JObject(members.Select(f => (f.Key, f.Value)).ToList())
        let verdict = shape == 0 || members.Any(f => f.Verdict == Verdict.Reject) ? Verdict.Reject
            : members.All(f => f.Verdict == Verdict.Accept) ? Verdict.Accept : Verdict.Unknown
        let body = new JObject([.. fields.Members, ("cookie", overrides)])
        from bytes in Utf8(body)
        select new FuzzBody(
            bytes,
            ReachesPrototype(body) ? BodyKind.ForbiddenKey
                : verdict switch { Verdict.Accept => BodyKind.Valid, Verdict.Reject => BodyKind.InvalidCookie, _ => BodyKind.Unknown },
            "cookie overrides (" + (shape == 0 ? notObject : string.Join(",", members.Select(f => f.Key + "=" + Write(f.Value, () => false)))) + ")");

    // ---- cookies ----

    private const string CookieOctets = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!#$%&'()*+/:<=>?@[]^`{|}~";

    private static Gen<string> Token(int min, int max, string alphabet = CookieOctets) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Gen.Elements(alphabet.ToCharArray()), n)).Select(chars => new string(chars));

    private static readonly string[] GarbageCookies =
    [
        "koa.sid=;koa.sid.sig=", "koa.sid=\"; koa.sid.sig=\"", "koa.sid=%00%ff; koa.sid.sig=%%%", "koa.sid", ";;;;=;=", "koa.sid=été; koa.sid.sig=é",
        "koa.sid=a=b=c; koa.sid.sig==", "=; =; koa.sid.sig", "koa.sid=\"abc\"; koa.sid.sig=\"def\"", "KOA.SID=abc; Koa.Sid.Sig=def", "koa.sid=漢字😀",
        "koa.sid=abc,koa.sid.sig=def", "koa.sid =abc ; koa.sid.sig= def", "koa.sid=\u007f",
    ];

    public static Gen<CookieSpec> Cookie(int pool) =>
        from kind in Gen.Elements(Enum.GetValues<CookieKind>())
        from session in Gen.Choose(0, pool - 1)
        from other in Gen.Choose(0, pool - 1)
        from text in kind switch
        {
            CookieKind.BadSig => Gen.Frequency((3, Token(27, 27, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")), (1, Token(0, 200))),
            CookieKind.SignedUnknown => Gen.Frequency((3, Token(1, 64)), (1, Token(3000, 6000)), (1, Gen.Elements("a", "0", "..", "koa:sess:x", "*", "%2A"))),
            CookieKind.Garbage => Gen.Frequency((3, Gen.Elements(GarbageCookies)), (1, Token(1, 300, CookieOctets + " ;=,\""))),
            CookieKind.TwoHeaders => Gen.Elements("forged", "signed-unknown", "empty"),
            _ => Gen.Constant(""),
        }
        select new CookieSpec(kind, session, other == session ? (other + 1) % pool : other, text);

    // ---- headers ----

    private static readonly (string Value, Verdict Verdict)[] ContentTypes =
    [
        ("application/json", Verdict.Accept), ("application/json; charset=utf-8", Verdict.Accept), ("application/json; charset=UTF-8", Verdict.Accept),
        ("application/json; charset=\"UTF-8\"", Verdict.Accept), ("application/json;charset=\"utf-8\"", Verdict.Accept), ("APPLICATION/JSON", Verdict.Accept),
        ("Application/Json; Charset=Utf-8", Verdict.Accept),
        ("text/plain", Verdict.Reject), ("application/x-www-form-urlencoded", Verdict.Reject), ("multipart/form-data; boundary=x", Verdict.Reject),
        ("application/json; charset=iso-8859-1", Verdict.Reject), ("application/json; charset=utf-16", Verdict.Reject), ("application/xml", Verdict.Reject),
        ("text/json", Verdict.Unknown), ("application/merge-patch+json", Verdict.Unknown), ("application/json; foo=bar", Verdict.Unknown),
        ("application/json;;", Verdict.Unknown), ("application/jsonx", Verdict.Reject), ("json", Verdict.Reject), ("*/*", Verdict.Reject), ("", Verdict.Reject),
        ("application/json; charset=utf8", Verdict.Unknown), ("application/json; charset=\"\"", Verdict.Unknown),
    ];

    private static readonly ((string Name, string Value)[] Headers, Verdict Verdict, string Label)[] CrossSiteHeaders =
    [
        ([], Verdict.Accept, "no fetch metadata"),
        ([("Sec-Fetch-Site", "same-origin")], Verdict.Accept, "same-origin"),
        ([("Sec-Fetch-Site", "none")], Verdict.Accept, "fetch none"),
        ([("Origin", "{origin}")], Verdict.Accept, "own origin"),
        ([("Sec-Fetch-Site", "cross-site")], Verdict.Reject, "cross-site"),
        ([("Sec-Fetch-Site", "same-site"), ("Origin", "https://evil.example")], Verdict.Reject, "same-site, foreign origin"),
        ([("Origin", "https://evil.example")], Verdict.Reject, "foreign origin"),
        ([("Origin", "null")], Verdict.Reject, "Origin null"),
        ([("Referer", "https://evil.example/page")], Verdict.Reject, "foreign referer"),
        ([("Sec-Fetch-Site", "bogus")], Verdict.Unknown, "bogus fetch metadata"),
        ([("Origin", "{origin}"), ("Origin", "https://evil.example")], Verdict.Unknown, "two origins"),
        ([("Referer", "not a url")], Verdict.Unknown, "bad referer"),
    ];

    private static readonly (string Name, string Value)[] ExtraHeaders =
    [
        ("Accept", "application/json"), ("Accept", "*/*;q=0.1, text/html"), ("Accept-Charset", "iso-8859-1"), ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-For", "10.0.0.1, 203.0.113.9"), ("X-Forwarded-Host", "evil.example"), ("User-Agent", "fuzz/1.0 😀"), ("Cache-Control", "no-cache"),
        ("If-None-Match", "*"), ("If-None-Match", "\"abc\""), ("If-Match", "*"), ("If-Match", "\"stale\""), ("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"),
        ("Range", "bytes=0-1"), ("Authorization", "Bearer x"),
        ("Expect", "100-continue"), ("X-HTTP-Method-Override", "DELETE"),
        ("Accept-Encoding", "gzip, br"), ("Content-Language", "漢字"), ("X-Empty", ""), ("Sec-Fetch-Mode", "navigate"),
    ];

    /// <summary>Content-Type and Content-Encoding variants, CSRF headers, chunked framing, and harmless or odd extras.</summary>
    public static Gen<HeaderSpec> Headers() =>
        from type in Gen.Frequency((1, Gen.Constant<(string Value, Verdict Verdict)?>(null)), (6, Gen.Elements(ContentTypes).Select(t => ((string Value, Verdict Verdict)?)t)))
        from encoding in Gen.Frequency((5, Gen.Constant<string?>(null)), (2, Gen.Elements<string?>("gzip", "deflate", "br", "gzip, identity", "x-unknown")), (1, Gen.Constant<string?>("identity")))
        from gzip in Gen.Elements(false, true)
        from crossSite in Gen.Frequency((3, Gen.Constant(CrossSiteHeaders[0])), (2, Gen.Elements(CrossSiteHeaders)))
        from extras in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Elements(ExtraHeaders), n))
        from chunked in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new HeaderSpec(
            HeaderList(type?.Value, encoding, crossSite.Headers, extras),
            // identity is a no-op encoding: no prediction, it may be accepted or refused.
            encoding == "identity" ? Verdict.Unknown : type?.Verdict ?? Verdict.Reject,
            encoding is not null && encoding != "identity",
            crossSite.Verdict,
            chunked,
            gzip && encoding is "gzip",
            $"type={type?.Value ?? "(none)"} encoding={encoding ?? "(none)"}{(gzip && encoding is "gzip" ? " (gzipped)" : "")} {crossSite.Label}{(chunked ? " chunked" : "")}" +
            string.Concat(extras.Select(e => $" {e.Name}")));

    private static List<(string Name, string Value)> HeaderList(string? type, string? encoding, IEnumerable<(string, string)> crossSite, IEnumerable<(string, string)> extras)
    {
        var headers = new List<(string Name, string Value)>();
        if (type is not null) headers.Add(("Content-Type", type));
        if (encoding is not null) headers.Add(("Content-Encoding", encoding));
        headers.AddRange(crossSite);
        headers.AddRange(extras);
        return headers;
    }

    public static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(body);
        return output.ToArray();
    }

    // ---- methods and paths ----

    private static readonly Target[] Routes =
    [
        new("POST", "/api/session", Route.Create), new("GET", "/api/session", Route.Get), new("PUT", "/api/session", Route.Save),
        new("POST", "/api/session/regenerate", Route.Regenerate), new("DELETE", "/api/session", Route.Remove),
    ];

    /// <summary>One of the five routes, with the body it usually carries (or none for GET and DELETE).</summary>
    public static Gen<Target> ValidTarget() => Gen.Elements(Routes);

    /// <summary>Routes that read a body: create, save, regenerate.</summary>
    public static Gen<Target> BodyTarget() => Gen.Elements(Routes[0], Routes[2], Routes[3]);

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "get", "Post", "FOO", "M-SEARCH", "PROPFIND", "CONNECT"];

    private static readonly string[] Paths =
    [
        "/api/session", "/api/session/regenerate", "/api/session/", "/API/SESSION", "/api/session?x=1&x=2", "/api/session?%ff=%fe", "/api/session/regenerate/",
        "/api/session/regenerate/x", "/api/sessions", "/api//session", "/api/./session", "/api/session/../session/regenerate", "/api/session%2fregenerate",
        "/api/sess%69on", "/api/session;jsessionid=1", "/", "/index.html", "/api", "/api/", "/api/session/%2e%2e/%2e%2e/etc/passwd", "/%ff%fe",
        "/api/session/regenerate?", "//api/session", "/app.js", "/favicon.ico", "/api/session/regenerate%20x",
    ];

    private const string PathOctets = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/";

    /// <summary>Methods (standard, lower-case, unknown) and paths (near misses, encodings, dot segments, long, random).</summary>
    public static Gen<Target> AnyTarget() =>
        from method in Gen.Frequency((3, Gen.Elements("GET", "POST", "PUT", "DELETE")), (2, Gen.Elements(Methods)))
        from path in Gen.Frequency(
            (6, Gen.Elements(Paths)),
            (2, Token(1, 40, PathOctets).Select(p => "/" + p)),
            (1, Token(1, 20, PathOctets).Select(p => "/api/session/" + p)),
            (1, Gen.Choose(1000, 6000).Select(n => "/api/session?q=" + new string('a', n))),
            (1, Gen.Choose(1, 255).Select(b => $"/api/session/%{b:x2}")))
        let route = Routes.FirstOrDefault(r => r.Method == method && (r.Path == path || r.Path + "?x=1&x=2" == path))?.Route
        select new Target(method, path, route);
}
