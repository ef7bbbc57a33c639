using System.Text.Json.Nodes;
using SessionFunctions.Cookies;
using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>One session in a user's list: its handle, whether it is the request's own, and its index entry.</summary>
internal sealed record UserSessionView(string Handle, bool Current, UserIndexEntry Entry)
{
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["handle"] = Handle,
            ["current"] = Current,
            ["created"] = SessionCookie.FormatDate(DateTimeOffset.FromUnixTimeMilliseconds(Entry.Created)),
            ["lastSeen"] = SessionCookie.FormatDate(DateTimeOffset.FromUnixTimeMilliseconds(Entry.Seen)),
        };
        json["label"] = Entry.Label.Length > 0 ? Entry.Label : null;
        return json;
    }
}
