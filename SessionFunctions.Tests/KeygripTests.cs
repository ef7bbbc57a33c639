namespace SessionFunctions.Tests;

/// <summary>The reference file's §5.4 vectors, byte for byte.</summary>
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
        const string data = "koa.sid=FKG1fC5BtzDTgio4feYgPEoBb6QMQKZn";
        Assert.Equal(0, keygrip.Index(data, "JNCYgVMDdfX6JzXqYq_m54hTjTE"));
        Assert.Equal(1, keygrip.Index(data, "CeRjwK9krePgHFho2T3gmgS1l2I"));
        Assert.Equal(-1, keygrip.Index(data, "JNCYgVMDdfX6JzXqYq_m54hTjTF"));
        Assert.Equal(-1, keygrip.Index(data, ""));
        Assert.Equal(-1, new Keygrip(["other"]).Index(data, "JNCYgVMDdfX6JzXqYq_m54hTjTE"));
    }

    [Fact]
    public void Needs_a_key() => Assert.Throws<ArgumentException>(() => new Keygrip([]));
}
