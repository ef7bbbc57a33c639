using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions;

/// <summary>koa's <c>genSid</c>. The result must not contain <c>;</c>; anything else is accepted.</summary>
public interface ISessionIdGenerator
{
    ValueTask<string> GenerateAsync(HttpContext http);
}

/// <summary>koa's default, uid-safe(24): 24 CSPRNG bytes as base64url, 32 characters, 192 bits.</summary>
public sealed class RandomSessionIdGenerator : ISessionIdGenerator
{
    public const int ByteLength = 24;

    public ValueTask<string> GenerateAsync(HttpContext http) =>
        ValueTask.FromResult(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(ByteLength)));
}
