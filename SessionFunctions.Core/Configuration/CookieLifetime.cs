namespace SessionFunctions.Configuration;

/// <summary>
/// The longest cookie lifetime: browsers cap it at 400 days (RFC 6265bis), so a longer <c>maxAge</c> or
/// <c>expires</c> is refused as bad input, and one read from the store is cut to it.
/// </summary>
internal static class CookieLifetime
{
    public const long MaxMilliseconds = 400L * 24 * 60 * 60 * 1000;

    public static readonly TimeSpan Max = TimeSpan.FromMilliseconds(MaxMilliseconds);

    /// <summary>What every refusal says, so that the limit is named once.</summary>
    public const string Limit = "400 days (34560000000 ms)";

    public static bool Exceeds(long milliseconds) => milliseconds > MaxMilliseconds;

    public static bool Exceeds(TimeSpan lifetime) => lifetime > Max;
}
