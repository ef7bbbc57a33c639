using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.UserIndex;

/// <summary>
/// The name a session's device goes by in its user's list: the <see cref="Header"/> request header when the session
/// joins the user (at login), else the User-Agent.
/// </summary>
internal static class ClientLabel
{
    /// <summary>The request header that names the client at login.</summary>
    public const string Header = "Session-Client-Label";

    /// <summary>The longest label kept, in UTF-16 units (a character is never cut in two).</summary>
    public const int MaxLength = 100;

    /// <summary>
    /// The request's label: control characters (Unicode Cc) and format characters (Cf: U+202E that turns the text
    /// around, U+200B and its invisible kin) dropped, at most <see cref="MaxLength"/> long, trimmed. A label is shown to
    /// the user as the name of a device; an invisible or reordering character would let one device pass for another.
    /// </summary>
    public static string Of(HttpRequest request)
    {
        var text = request.Headers[Header].ToString();
        if (string.IsNullOrWhiteSpace(text)) text = request.Headers.UserAgent.ToString();
        var label = new StringBuilder(Math.Min(text.Length, MaxLength));
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format) continue;
            if (label.Length + rune.Utf16SequenceLength > MaxLength) break;
            label.Append(rune.ToString());
        }
        return label.ToString().Trim();
    }
}
