using SessionFunctions.Cookies;

namespace SessionFunctions.Tests;

/// <summary>
/// Signatures byte for byte as keygrip 1.1.0 (koa's cookie signer: HMAC-SHA1, base64url) makes them. The SEKRIT
/// vectors are crypto-utils/keygrip's own tests (test/keygrip.js "should sign a string" and "should sign with first
/// secret"); the koss:test_sid pair is the signed cookie of koajs/generic-session's test/store.test.js;
/// the koa.sid pairs are what a Koa app with app.keys ['keys','keykeys'] sends, which InteropTests compares with the
/// real app; the ключ vector is Node's createHmac over UTF-8 key and data.
/// </summary>
public sealed class KeygripTests
{
    [Theory]
    [InlineData("keys", "koa.sid=FKG1fC5BtzDTgio4feYgPEoBb6QMQKZn", "JNCYgVMDdfX6JzXqYq_m54hTjTE")]
    [InlineData("keykeys", "koa.sid=FKG1fC5BtzDTgio4feYgPEoBb6QMQKZn", "CeRjwK9krePgHFho2T3gmgS1l2I")]
    [InlineData("keys", "koa.sid=", "4Q4t-o__7Oasf7VtZqUFKLy4m7A")]
    [InlineData("keys", "koss:test_sid=bGX1r5jcQHX4CqO1Heiy_DLvkTpQvx3M", "ZvZ8W0x9akbySx-9kEUkVPqAd2g")]
    [InlineData("SEKRIT1", "Keyboard Cat has a hat.", "34Sr3OIsheUYWKL5_w--zJsdSNk")]
    [InlineData("SEKRIT2", "Keyboard Cat has a hat.", "_jl9qXYgk5AgBiKFOPYK073FMEQ")]
    [InlineData("ключ", "a=b", "qBoSfzUIEeH0yrVaqIwAcF5RAzA")]
    public void Signs_like_keygrip(string key, string data, string signature)
    {
        Assert.Equal(signature, new Keygrip([key]).Sign(data));
    }

    [Fact]
    public void Index_finds_the_key_that_signed_and_rejects_others()
    {
        var keygrip = new Keygrip(["keys", "keykeys"]);
        const string Data = "koa.sid=FKG1fC5BtzDTgio4feYgPEoBb6QMQKZn";
        Assert.Equal(0, keygrip.Index(Data, "JNCYgVMDdfX6JzXqYq_m54hTjTE"));
        Assert.Equal(1, keygrip.Index(Data, "CeRjwK9krePgHFho2T3gmgS1l2I"));
        Assert.Equal(-1, keygrip.Index(Data, "JNCYgVMDdfX6JzXqYq_m54hTjTF"));
        Assert.Equal(-1, keygrip.Index(Data, ""));
        Assert.Equal(-1, new Keygrip(["other"]).Index(Data, "JNCYgVMDdfX6JzXqYq_m54hTjTE"));
    }

    [Fact]
    public void Needs_a_key() => Assert.Throws<ArgumentException>(() => new Keygrip([]));
}
