using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SessionFunctions.Storage;

/// <summary>
/// Reads stored JSON whose strings hold lone UTF-16 surrogate escapes (<c>"\ud800"</c>), which System.Text.Json refuses
/// to read as strings. JavaScript strings may hold them, and Koa's <c>JSON.stringify</c> writes them so; a session Koa
/// stored that way must still be read, saved and regenerated here, and written back as Koa wrote it
/// (<see cref="SessionJson"/> escapes lone surrogates again). Only stored text takes this path: a request body with a
/// lone surrogate is refused.
/// </summary>
internal static class LoneSurrogateJson
{
    /// <summary>Whether <paramref name="json"/> may hold a surrogate escape at all (the fast path skips this reader otherwise).</summary>
    public static bool MayContain(string json) => json.Contains("\\ud", StringComparison.OrdinalIgnoreCase);

    /// <summary>The value, or null when <paramref name="json"/> is not valid JSON (or nests deeper than <paramref name="maxDepth"/>).</summary>
    /// <param name="json">The text.</param>
    /// <param name="maxDepth">The deepest nesting read.</param>
    /// <param name="repeats">Whether an object in it repeats a property name (the last one wins, as in <c>JSON.parse</c>).</param>
    public static JsonNode? Parse(string json, int maxDepth, out bool repeats)
    {
        var reader = new Reader(json, maxDepth);
        try
        {
            var value = reader.Value(0);
            reader.SkipWhitespace();
            return reader.AtEnd ? value : null;
        }
        catch (FormatException)
        {
            return null;
        }
        finally
        {
            repeats = reader.Repeats;
        }
    }

    private sealed class Reader(string text, int maxDepth)
    {
        private int _position;

        public bool Repeats { get; private set; }

        public bool AtEnd => _position == text.Length;

        public JsonNode? Value(int depth)
        {
            if (depth > maxDepth) throw new FormatException("too deep");
            SkipWhitespace();
            if (AtEnd) throw new FormatException("end");
            switch (text[_position])
            {
                case '{':
                    return Object(depth);
                case '[':
                    return Array(depth);
                case '"':
                    return JsonValue.Create(String());
                case 't':
                    Expect("true");
                    return JsonValue.Create(true);
                case 'f':
                    Expect("false");
                    return JsonValue.Create(false);
                case 'n':
                    Expect("null");
                    return null;
                default:
                    return Number();
            }
        }

        public void SkipWhitespace()
        {
            while (!AtEnd && text[_position] is ' ' or '\t' or '\n' or '\r') _position++;
        }

        private JsonObject Object(int depth)
        {
            _position++;
            var result = new JsonObject();
            SkipWhitespace();
            if (Peek('}')) return result;
            while (true)
            {
                SkipWhitespace();
                if (AtEnd || text[_position] != '"') throw new FormatException("name");
                var name = String();
                SkipWhitespace();
                Take(':');
                // As JSON.parse: a repeated property keeps its first place and takes the last value.
                if (result.ContainsKey(name)) Repeats = true;
                result[name] = Value(depth + 1);
                SkipWhitespace();
                if (Peek('}')) return result;
                Take(',');
            }
        }

        private JsonArray Array(int depth)
        {
            _position++;
            var result = new JsonArray();
            SkipWhitespace();
            if (Peek(']')) return result;
            while (true)
            {
                result.Add(Value(depth + 1));
                SkipWhitespace();
                if (Peek(']')) return result;
                Take(',');
            }
        }

        private string String()
        {
            _position++;
            var value = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw new FormatException("unterminated string");
                var c = text[_position++];
                if (c == '"') return value.ToString();
                if (c < ' ') throw new FormatException("control character");
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }
                if (AtEnd) throw new FormatException("escape");
                var escape = text[_position++];
                value.Append(escape switch
                {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' when _position + 4 <= text.Length
                        && ushort.TryParse(text.AsSpan(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                        => (char)code,
                    _ => throw new FormatException("escape"),
                });
                if (escape == 'u') _position += 4;
            }
        }

        private JsonNode Number()
        {
            var start = _position;
            while (!AtEnd && text[_position] is (>= '0' and <= '9') or '-' or '+' or '.' or 'e' or 'E') _position++;
            // Numbers keep their text, as System.Text.Json's own nodes do; it also checks the grammar.
            try
            {
                return JsonNode.Parse(text.AsSpan(start, _position - start).ToString()) ?? throw new FormatException("number");
            }
            catch (System.Text.Json.JsonException error)
            {
                throw new FormatException("number", error);
            }
        }

        private void Expect(string literal)
        {
            if (string.CompareOrdinal(text, _position, literal, 0, literal.Length) != 0) throw new FormatException(literal);
            _position += literal.Length;
        }

        private bool Peek(char c)
        {
            if (AtEnd || text[_position] != c) return false;
            _position++;
            return true;
        }

        private void Take(char c)
        {
            if (!Peek(c)) throw new FormatException(c.ToString());
        }
    }
}
