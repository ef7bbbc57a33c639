using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// A template language expression as Bicep compiles it, "[union(parameters('a'), createObject('k', 'v'))]", parsed
/// far enough to assert on: function calls with their arguments, string literals, numbers, and the property accesses
/// that follow a call (".outputs.name.value", "[0]"), kept as text.
/// </summary>
public sealed record ArmExpression(string Text, string? Function, IReadOnlyList<ArmExpression> Arguments, string? StringValue)
{
    /// <summary>The expression of a template string "[...]"; null for a plain string (or an escaped "[[...").</summary>
    public static ArmExpression? Of(string? templateString) =>
        templateString is ['[', not '[', .., ']'] ? Parse(templateString[1..^1]) : null;

    public static ArmExpression Parse(string text)
    {
        var position = 0;
        var expression = new Parser(text).Expression(ref position);
        if (position != text.Length) throw new FormatException($"Unexpected '{text[position..]}' in {text}");
        return expression;
    }

    /// <summary>The properties of a <c>createObject('key', value, …)</c> call, by key.</summary>
    public IReadOnlyDictionary<string, ArmExpression> ObjectProperties()
    {
        if (Function != "createObject") throw new InvalidOperationException($"{Text} is not createObject(...).");
        return Arguments.Chunk(2).ToDictionary(pair => pair[0].StringValue!, pair => pair[1]);
    }

    /// <summary>This expression and every expression inside it.</summary>
    public IEnumerable<ArmExpression> Descendants() => Arguments.SelectMany(a => a.Descendants()).Prepend(this);

    public override string ToString() => Text;

    private sealed class Parser(string text)
    {
        public ArmExpression Expression(ref int position)
        {
            SkipSpaces(ref position);
            var start = position;
            if (text[position] == '\'') return StringLiteral(ref position);
            if (char.IsAsciiDigit(text[position]) || text[position] == '-')
            {
                while (position < text.Length && (char.IsAsciiDigit(text[position]) || text[position] is '-' or '.')) position++;
                return new ArmExpression(text[start..position], null, [], null);
            }
            while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '_' or '$')) position++;
            var name = text[start..position];
            if (name.Length == 0 || position == text.Length || text[position] != '(')
                throw new FormatException($"Expected a function call at {position} in {text}");
            position++;
            var arguments = new List<ArmExpression>();
            SkipSpaces(ref position);
            while (text[position] != ')')
            {
                arguments.Add(Expression(ref position));
                SkipSpaces(ref position);
                if (text[position] == ',') position++;
            }
            position++;
            Accessors(ref position);
            return new ArmExpression(text[start..position], name, arguments, null);
        }

        private ArmExpression StringLiteral(ref int position)
        {
            var start = position++;
            var value = new StringBuilder();
            while (true)
            {
                if (text[position] == '\'' && position + 1 < text.Length && text[position + 1] == '\'')
                {
                    value.Append('\'');
                    position += 2;
                }
                else if (text[position] == '\'')
                {
                    position++;
                    break;
                }
                else value.Append(text[position++]);
            }
            return new ArmExpression(text[start..position], null, [], value.ToString());
        }

        /// <summary>Skips ".name" and "[index]" after a call: they select from its value, and stay part of its text.</summary>
        private void Accessors(ref int position)
        {
            while (position < text.Length && text[position] is '.' or '[')
            {
                if (text[position] == '.')
                {
                    position++;
                    while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '_' or '$')) position++;
                }
                else
                {
                    position++;
                    Expression(ref position);
                    SkipSpaces(ref position);
                    position++; // ']'
                }
            }
        }

        private void SkipSpaces(ref int position)
        {
            while (position < text.Length && text[position] == ' ') position++;
        }
    }
}
