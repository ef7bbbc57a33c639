namespace SessionFunctions.Tests.Lifecycle;

/// <summary>
/// A write that the store did, but whose reply was lost (the connection dropped), is retried by the repository: the
/// retry must recognise its own work instead of taking it for another writer's, or the answer is a false 412 or 409, an
/// orphan, or, for a regenerate, a user logged out.
/// </summary>
public sealed partial class SessionLifecycleTests
{
    [Fact]
    public async Task A_regenerate_whose_delete_reply_was_lost_keeps_the_new_session_and_sends_its_cookies()
    {
        var oldKey = await CreateAsync();
        _store.BeforeDestroy.Enqueue((store, _) => store.LoseReplies = 1);

        var regenerated = await _client.RegenerateAsync();

        Assert.Equal(200, regenerated.Status);
        Assert.Null(_store[oldKey]);
        Assert.NotEqual(oldKey, Key); // the client holds the new sid
        Assert.NotNull(_store[Key]);
        Assert.Equal(["get", "create", "destroy-if", "destroy-if"], _store.Calls);
        var read = await _client.GetAsync();
        Assert.Equal(200, read.Status);
        Assert.Equal(1, read.Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_conditional_save_whose_reply_was_lost_answers_200_not_412()
    {
        var key = await CreateAsync();
        var etag = (await _client.GetAsync()).Headers.ETag!.ToString();
        _store.BeforeReplace.Enqueue((store, _) => store.LoseReplies = 1);

        var put = await _client.PutAsync("""{"count":2}""", configure: request => request.Headers.TryAddWithoutValidation("If-Match", etag));

        Assert.Equal(200, put.Status);
        Assert.Equal(EntityTags.Of(SessionHash.Of(_store[key]!)), put.Headers.ETag!.ToString());
        Assert.Contains("\"count\":2", _store[key]);
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
}
