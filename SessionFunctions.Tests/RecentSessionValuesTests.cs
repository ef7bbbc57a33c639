namespace SessionFunctions.Tests;

/// <summary>The bounded memory of stored values behind one-command saves.</summary>
public sealed class RecentSessionValuesTests
{
    [Fact]
    public void Recalls_what_was_remembered_until_forgotten()
    {
        var values = new RecentSessionValues(16);
        Assert.Null(values.Recall("koa:sess:a"));
        values.Remember("koa:sess:a", "1");
        values.Remember("koa:sess:a", "2");
        Assert.Equal("2", values.Recall("koa:sess:a"));
        values.Forget("koa:sess:a");
        Assert.Null(values.Recall("koa:sess:a"));
    }

    [Fact]
    public void Holds_at_most_its_capacity_and_never_answers_for_another_key()
    {
        var values = new RecentSessionValues(8);
        for (var i = 0; i < 1000; i++) values.Remember("koa:sess:" + i, "v" + i);
        var recalled = Enumerable.Range(0, 1000).Where(i => values.Recall("koa:sess:" + i) is not null).ToList();
        Assert.InRange(recalled.Count, 1, 8);
        Assert.All(recalled, i => Assert.Equal("v" + i, values.Recall("koa:sess:" + i)));
    }

    [Fact]
    public void Does_not_keep_long_values_or_anything_when_off()
    {
        var values = new RecentSessionValues(16);
        values.Remember("koa:sess:a", "short");
        values.Remember("koa:sess:a", new string('x', RecentSessionValues.MaxValueLength + 1));
        Assert.Null(values.Recall("koa:sess:a"));

        var off = new RecentSessionValues(0);
        off.Remember("koa:sess:a", "1");
        Assert.Null(off.Recall("koa:sess:a"));
        off.Forget("koa:sess:a");
    }
}
