using SessionFunctions.Http;
using SessionFunctions.Storage;

namespace SessionFunctions.Tests.Lifecycle;

/// <summary>
/// A write that failed for want of a connection is retried by the repository. When the failed attempt may have run (it
/// was sent, and its reply was lost), a retry that finds the store holding exactly what it writes takes that as its own
/// work; when it was never sent, what the retry finds is another writer's. A regenerate never keeps a copy of a session
/// it cannot prove it removed itself: a concurrent logout must win.
/// </summary>
public sealed partial class SessionLifecycleTests
{
    [Fact]
    public async Task A_conditional_save_whose_reply_was_lost_answers_200_not_412()
    {
        var key = await CreateAsync();
        var etag = (await _client.GetAsync()).Headers.ETag!.ToString();
        _store.BeforeReplace.Enqueue((store, _) => store.LoseReplies = 1);

        var put = await _client.PutAsync("""{"count":2}""", configure: IfMatch(etag));

        Assert.Equal(200, put.Status);
        Assert.Equal(EntityTags.Of(SessionHash.Of(_store[key]!)), put.Headers.ETag!.ToString());
        Assert.Contains("\"count\":2", _store[key]);
    }

    [Fact]
    public async Task A_conditional_save_that_never_ran_does_not_take_another_writers_equal_value_for_its_own()
    {
        // Two tabs save count 1 -> 2 from the same ETag; this one's first attempt never left the queue, and the other tab's
        // identical write landed meanwhile. Answering 200 would lose this tab's increment without telling it.
        var key = await CreateAsync();
        var etag = (await _client.GetAsync()).Headers.ETag!.ToString();
        var otherTabsWrite = _store[key]!.Replace("\"count\":1", "\"count\":2", StringComparison.Ordinal);
        _store.BeforeReplace.Enqueue((store, k) =>
        {
            store.FailBeforeRunning = 1;
            store.BeforeReplace.Enqueue((s, _) => s[k] = otherTabsWrite);
        });

        var put = await _client.PutAsync("""{"count":2}""", configure: IfMatch(etag));

        Assert.Equal(412, put.Status);
        Assert.Equal(EntityTags.Of(SessionHash.Of(otherTabsWrite)), put.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task A_regenerate_that_cannot_prove_it_removed_the_old_session_keeps_no_copy_of_it()
    {
        // The delete of the old session never left the queue, and a logout (another tab, or "sign out everywhere") removed
        // the session before the retry: the copy must not outlive the logout.
        var oldKey = await CreateAsync();
        _store.BeforeDestroy.Enqueue((store, k) =>
        {
            store.FailBeforeRunning = 1;
            store.BeforeDestroy.Enqueue((s, _) => s[k] = null);
        });

        await RegenerateKeepsNoCopyAsync(oldKey);
    }

    [Fact]
    public async Task A_regenerate_whose_delete_reply_was_lost_fails_closed_too()
    {
        // The same answer when the delete did run: from what the retry finds, the two cases cannot be told apart.
        var oldKey = await CreateAsync();
        _store.BeforeDestroy.Enqueue((store, _) => store.LoseReplies = 1);

        await RegenerateKeepsNoCopyAsync(oldKey);
    }

    [Fact]
    public async Task A_create_whose_reply_was_lost_answers_with_the_session_it_created_and_leaves_no_orphan()
    {
        _store.LoseReplies = 1;

        var created = await _client.PostAsync(json: """{"count":1}""");

        Assert.Equal(201, created.Status);
        Assert.Equal(1, _store.Count);
        Assert.Contains("\"count\":1", _store[Key]);
    }

    /// <summary>A regenerate that answers 409 without cookies, and leaves neither the old session nor its copy.</summary>
    private async Task RegenerateKeepsNoCopyAsync(string oldKey)
    {
        var regenerated = await _client.RegenerateAsync();

        Assert.Equal(409, regenerated.Status);
        Assert.Empty(regenerated.SetCookies);
        Assert.Null(_store[oldKey]);
        Assert.Equal(0, _store.Count);
    }

    private static Action<HttpRequestMessage> IfMatch(string etag) => request => request.Headers.TryAddWithoutValidation("If-Match", etag);
}
