namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// Where a session lives in Redis with the default prefix: koa-generic-session's <c>koa:sess:</c> + sid. Spelled out
/// here rather than taken from the product, so that a changed default fails the tests instead of following along.
/// </summary>
public static class SessionKeys
{
    public static string Of(string sid) => "koa:sess:" + sid;
}
