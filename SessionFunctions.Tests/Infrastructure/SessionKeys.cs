using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// Where a session lives in Redis with the default prefix: koa-generic-session's <c>koa:sess:</c> + sid. Spelled out
/// here rather than taken from the product, so that a changed default fails the tests instead of following along.
/// </summary>
public static class SessionKeys
{
    public static string Of(string sid) => "koa:sess:" + sid;

    /// <summary>
    /// A user's index: <c>koa:sess:user:</c> + base64url of the SHA-256 of the user id's JSON text (as JSON.stringify
    /// writes it: <c>"ada"</c> with its quotes, <c>42</c>).
    /// </summary>
    public static string IndexOfJson(string userIdJson) =>
        "koa:sess:user:" + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(userIdJson)));

    /// <summary>The index of a string user id made of characters JSON writes as they are (the tests' users: letters, digits, '-').</summary>
    public static string IndexOfUser(string user) => IndexOfJson("\"" + user + "\"");
}
