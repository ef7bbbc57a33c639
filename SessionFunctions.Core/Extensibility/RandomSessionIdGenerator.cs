using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>koa's default, uid-safe(24): 24 CSPRNG bytes as base64url, 32 characters, 192 bits.</summary>
public sealed class RandomSessionIdGenerator : ISessionIdGenerator
{
    public const int ByteLength = 24;

    public ValueTask<string> GenerateAsync(HttpContext http) =>
        ValueTask.FromResult(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(ByteLength)));
}
