using System.Globalization;

namespace SessionFunctions.Storage;

/// <summary>
/// One member of a user's index, stored as <c>"created seen label"</c>: Unix milliseconds of the session's creation and
/// of the last save through this API that indexed it, each 1 to <see cref="MaxDigits"/> ASCII digits, then the client
/// label (possibly empty). <see cref="Parse"/> is the one reader of that text in C#; the Redis scripts read it with the
/// same rule (<c>ParseEntry</c> in RedisSessionStore.UserIndex.cs), and UserIndexStoreContractTests hold the two to it.
/// </summary>
internal sealed record UserIndexEntry(long Created, long Seen, string Label)
{
    /// <summary>
    /// The most digits of a time: 15 digits are exact in a Lua number (a double), which is how the scripts compare them,
    /// and Unix milliseconds keep to 13 digits until the year 2286.
    /// </summary>
    public const int MaxDigits = 15;

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Created} {Seen} {Label}");

    /// <summary>The entry that <paramref name="text"/> holds; null for anything else (missing, or not written by this API).</summary>
    public static UserIndexEntry? Parse(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(' ', 3);
        return parts.Length == 3 && Time(parts[0]) is { } created && Time(parts[1]) is { } seen ? new UserIndexEntry(created, seen, parts[2]) : null;
    }

    private static long? Time(string digits) =>
        digits.Length is > 0 and <= MaxDigits && digits.All(char.IsAsciiDigit) ? long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) : null;
}
