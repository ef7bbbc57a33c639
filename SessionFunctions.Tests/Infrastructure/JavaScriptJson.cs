using System.Globalization;
using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// How JavaScript's <c>JSON.stringify</c> writes strings (ECMA-262 QuoteJSONString): raw UTF-8 for everything but
/// <c>"</c>, <c>\</c>, the C0 controls (<c>\b \t \n \f \r</c> or <c>\u00xx</c>) and lone surrogates (<c>\udxxx</c>),
/// all escapes in lower-case hex. Koa stores sessions with it, so a value this service stores must spell every string
/// the same way to be byte-identical with Koa's.
/// </summary>
public static class JavaScriptJson
{
    /// <summary><paramref name="text"/> as <c>JSON.stringify</c> writes it, quotes included.</summary>
    public static string Quote(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\b': quoted.Append("\\b"); break;
                case '\t': quoted.Append("\\t"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\f': quoted.Append("\\f"); break;
                case '\r': quoted.Append("\\r"); break;
                case < ' ':
                    quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        quoted.Append(c).Append(text[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        quoted.Append(c);
                    }
                    break;
            }
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>
    /// Every string (property names included) in <paramref name="utf8Json"/> that is not spelled as <c>JSON.stringify</c>
    /// spells it, with how it should read; also invalid UTF-8 or a broken escape. Empty when the text matches.
    /// Numbers and structure are not checked.
    /// </summary>
    public static List<string> Misspelled(byte[] utf8Json)
    {
        var problems = new List<string>();
        var i = 0;
        while (i < utf8Json.Length)
        {
            if (utf8Json[i] != (byte)'"')
            {
                i++;
                continue;
            }
            var start = ++i;
            while (i < utf8Json.Length && utf8Json[i] != (byte)'"') i += utf8Json[i] == (byte)'\\' ? 2 : 1;
            if (i >= utf8Json.Length)
            {
                problems.Add("unterminated string at byte " + (start - 1));
                break;
            }
            var raw = utf8Json.AsSpan(start, i - start);
            i++;
            string written;
            string value;
            try
            {
                written = Strict.GetString(raw);
                value = Unescape(written);
            }
            catch (Exception error) when (error is DecoderFallbackException or FormatException)
            {
                problems.Add($"unreadable string at byte {start - 1}: {error.Message}");
                continue;
            }
            var expected = Quote(value)[1..^1];
            if (!string.Equals(written, expected, StringComparison.Ordinal))
                problems.Add($"\"{Shorten(written)}\" should be \"{Shorten(expected)}\"");
        }
        return problems;
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>JSON string escapes undone, lone surrogates kept (as JavaScript keeps them).</summary>
    private static string Unescape(string written)
    {
        var value = new StringBuilder(written.Length);
        for (var i = 0; i < written.Length; i++)
        {
            if (written[i] != '\\')
            {
                value.Append(written[i]);
                continue;
            }
            if (++i >= written.Length) throw new FormatException("a backslash ends the string");
            value.Append(written[i] switch
            {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => '\b',
                'f' => '\f',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' when i + 4 < written.Length && ushort.TryParse(written.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) => (char)code,
                _ => throw new FormatException($"bad escape \\{written[i]}"),
            });
            if (written[i] == 'u') i += 4;
        }
        return value.ToString();
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
