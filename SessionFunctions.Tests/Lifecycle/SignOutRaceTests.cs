using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionFunctions.Extensibility;
using SessionFunctions.Http;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using SessionFunctions.UserIndex;

namespace SessionFunctions.Tests.Lifecycle;

/// <summary>
/// "Sign out other devices" against a regenerate at the worst moment, on a <see cref="ScriptedSessionStore"/> that runs
/// the regenerate (a whole request, synchronously) at an exact step of the sign-out, or the other way round. No session
/// derived from a signed-out one may outlive the sign-out: that is what a user who signs out a stolen session relies
/// on. And the caller's own session, regenerated meanwhile by another tab, must not be signed out as an "other".
/// </summary>
public sealed class SignOutRaceTests : IDisposable
{
    private static readonly string IndexKey = SessionKeys.IndexOfUser("ada");
    private readonly ScriptedSessionStore _store = new(TimeProvider.System);
    private readonly ScriptedIds _ids = new();
    private readonly SessionApiFactory _api;
    private readonly SessionClient _laptop;
    private readonly SessionClient _phone;

    public SignOutRaceTests()
    {
        _api = SessionApiFactory.WithMemory(
            services => services.AddSingleton<ISessionStore>(_store).AddSingleton<ISessionIdGenerator>(_ids), ("Session:UserIdPath", "/user/id"), ("Session:DangerouslyTrustClientsWithUserId", "true"));
        _laptop = _api.CreateSessionClient();
        _phone = _api.CreateSessionClient();
    }

    public void Dispose()
    {
        _laptop.Dispose();
        _phone.Dispose();
        _api.Dispose();
        _store.Dispose();
    }

    private async Task LoginBothAsync()
    {
        Assert.Equal(201, (await _laptop.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        Assert.Equal(201, (await _phone.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
    }

    private static Task<SessionResponse> SignOutOthersAsync(SessionClient client) => client.SendAsync(HttpMethod.Delete, "/api/session/others", null, null);

    [Fact]
    public async Task A_regenerate_that_completes_between_the_listing_and_the_delete_is_signed_out_too()
    {
        await LoginBothAsync();
        var before = _phone.Jar["koa.sid"];
        SessionResponse? regenerated = null;
        string? destroyed = null;
        // The sign-out listed the phone's session and read it; just before it deletes it, the phone regenerates, all the way.
        _store.BeforeDestroy.Enqueue((_, key) =>
        {
            destroyed = key;
            regenerated = _phone.RegenerateAsync().GetAwaiter().GetResult();
        });

        var signOut = await SignOutOthersAsync(_laptop);

        Assert.Equal(SessionKeys.Of(before), destroyed);
        Assert.Equal(204, signOut.Status);
        Assert.Equal(200, regenerated!.Status);
        Assert.NotEqual(before, _phone.Jar["koa.sid"]);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Equal(200, (await _laptop.GetAsync()).Status);
        Assert.Equal([_laptop.Jar["koa.sid"]], _store.IndexMembers(IndexKey));
        Assert.Equal(1, _store.Count);
    }

    [Fact]
    public async Task A_regenerate_that_completes_while_the_listing_reads_the_sessions_is_signed_out_too()
    {
        await LoginBothAsync();
        var before = _phone.Jar["koa.sid"];
        SessionResponse? regenerated = null;
        // The sign-out read the index, which holds the phone's old sid only; the phone regenerates before that sid is
        // read, so the listing finds it missing and has nothing to delete.
        _store.BeforeGetOf[SessionKeys.Of(before)] = _ => regenerated = _phone.RegenerateAsync().GetAwaiter().GetResult();

        var signOut = await SignOutOthersAsync(_laptop);

        Assert.Equal(204, signOut.Status);
        Assert.Equal(200, regenerated!.Status);
        Assert.NotEqual(before, _phone.Jar["koa.sid"]);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Equal([_laptop.Jar["koa.sid"]], _store.IndexMembers(IndexKey));
        Assert.Equal(1, _store.Count);
    }

    [Fact]
    public async Task A_regenerate_whose_session_is_signed_out_before_its_delete_answers_409_and_leaves_no_session()
    {
        // This order was safe before the repeated listings too (the regenerate finds its old session gone); it stays so.
        await LoginBothAsync();
        var before = _phone.Jar["koa.sid"];
        SessionResponse? signOut = null;
        // The phone stored its new session; just before it deletes the old one, the laptop signs out the others.
        _store.BeforeDestroy.Enqueue((_, _) => signOut = SignOutOthersAsync(_laptop).GetAwaiter().GetResult());

        var regenerate = await _phone.RegenerateAsync();

        Assert.Equal(204, signOut!.Status);
        Assert.Equal(409, regenerate.Status);
        Assert.Empty(regenerate.SetCookies);
        Assert.Equal(before, _phone.Jar["koa.sid"]);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Equal([_laptop.Jar["koa.sid"]], _store.IndexMembers(IndexKey));
        Assert.Equal(1, _store.Count);
    }

    [Fact]
    public async Task Signing_out_the_others_while_another_tab_regenerates_this_session_answers_409_and_signs_out_neither()
    {
        await LoginBothAsync();
        using var otherTab = _api.CreateSessionClient(jar: new Dictionary<string, string>(_laptop.Jar));
        SessionResponse? regenerated = null;
        // While the sign-out reads the listed sessions, another tab of the same browser logs in again (regenerates).
        _store.BeforeGetOf[SessionKeys.Of(_phone.Jar["koa.sid"])] = _ => regenerated = otherTab.RegenerateAsync().GetAwaiter().GetResult();

        var signOut = await SignOutOthersAsync(_laptop);

        Assert.Equal(200, regenerated!.Status);
        Assert.Equal(409, signOut.Status);
        Assert.Equal(SessionProblem.Conflict.Type, signOut.ProblemType);
        Assert.Empty(signOut.SetCookies);
        // The other tab's new session is this browser's, not another device's: it stands, and so does the phone.
        Assert.Equal(200, (await otherTab.GetAsync()).Status);
        Assert.Equal(200, (await _phone.GetAsync()).Status);
        // Retried with the cookies the browser now holds, the sign-out works.
        Assert.Equal(204, (await SignOutOthersAsync(otherTab)).Status);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Equal(200, (await otherTab.GetAsync()).Status);
    }

    [Fact]
    public async Task A_chain_of_two_regenerates_during_the_sign_out_is_signed_out_at_its_end()
    {
        await LoginBothAsync();
        _ids.Next.Enqueue("second");
        _ids.Next.Enqueue("third");
        // The phone's first regenerate has indexed its new sid, not yet stored it, when the sign-out reads the index.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await ((ISessionUserIndexStore)_store).IndexAsync(IndexKey, new UserIndexJoin("second", new UserIndexEntry(now, now, "phone"), TimeSpan.FromHours(1)), DateTimeOffset.MaxValue, default);
        SessionResponse? toSecond = null, toThird = null;
        // The sign-out read "second" missing and is about to delete the first sid: the first regenerate completes. Then,
        // as the next listing reads "second", the phone regenerates again, to "third".
        _store.BeforeDestroy.Enqueue((_, _) =>
        {
            toSecond = _phone.RegenerateAsync().GetAwaiter().GetResult();
            _store.BeforeGetOf[SessionKeys.Of("second")] = _ => toThird = _phone.RegenerateAsync().GetAwaiter().GetResult();
        });

        var signOut = await SignOutOthersAsync(_laptop);

        Assert.Equal(200, toSecond!.Status);
        Assert.Equal(200, toThird!.Status);
        Assert.Equal("third", _phone.Jar["koa.sid"]);
        Assert.Equal(204, signOut.Status);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Equal([_laptop.Jar["koa.sid"]], _store.IndexMembers(IndexKey));
    }

    [Fact]
    public async Task Signing_out_everywhere_while_a_copy_of_this_cookie_regenerates_signs_out_its_successor_too()
    {
        await LoginBothAsync();
        using var copy = _api.CreateSessionClient(jar: new Dictionary<string, string>(_laptop.Jar));
        SessionResponse? regenerated = null;
        // Just before the sign-out deletes this session, a copy of its cookie (another tab, or a thief) regenerates it.
        _store.BeforeDestroy.Enqueue((_, key) =>
        {
            if (key != SessionKeys.Of(_laptop.Jar["koa.sid"])) _store.BeforeDestroy.Enqueue((_, _) => regenerated = copy.RegenerateAsync().GetAwaiter().GetResult());
            else regenerated = copy.RegenerateAsync().GetAwaiter().GetResult();
        });

        var signOut = await _laptop.SendAsync(HttpMethod.Delete, "/api/session/all", null, null);

        Assert.Equal(204, signOut.Status);
        Assert.Equal(200, regenerated!.Status);
        Assert.Equal(404, (await copy.GetAsync()).Status);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Empty(_store.IndexMembers(IndexKey));
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public async Task A_session_deleted_outside_the_api_just_after_a_save_here_holds_the_sign_out_at_409_until_its_entry_is_past_the_grace()
    {
        // ReconnectTimeout 100 ms: the prune grace is 2.1 s.
        using var api = SessionApiFactory.WithMemory(
            services => services.AddSingleton<ISessionStore>(_store), ("Session:UserIdPath", "/user/id"), ("Session:DangerouslyTrustClientsWithUserId", "true"), ("Session:ReconnectTimeout", "100"));
        using var laptop = api.CreateSessionClient();
        using var phone = api.CreateSessionClient();
        Assert.Equal(201, (await laptop.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        Assert.Equal(201, (await phone.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        // A Koa logout: the key goes, the index entry stays, and it is young, as a write still under way would be.
        _store[SessionKeys.Of(phone.Jar["koa.sid"])] = null;

        var early = await SignOutOthersAsync(laptop);
        Assert.Equal(409, early.Status);
        Assert.Equal(SessionProblem.Conflict.Type, early.ProblemType);

        await Task.Delay(TimeSpan.FromSeconds(2.3));
        Assert.Equal(204, (await SignOutOthersAsync(laptop)).Status);
        Assert.Equal([laptop.Jar["koa.sid"]], _store.IndexMembers(IndexKey));
    }

    [Fact]
    public async Task Signing_out_everywhere_catches_a_copy_of_the_only_session_regenerating_while_it_is_listed()
    {
        Assert.Equal(201, (await _laptop.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        using var copy = _api.CreateSessionClient(jar: new Dictionary<string, string>(_laptop.Jar));
        var key = SessionKeys.Of(_laptop.Jar["koa.sid"]);
        SessionResponse? regenerated = null;
        // The first read of this session is the request's own load; the second is the first listing's, after its index
        // read: just before it, the copy regenerates, so the listing sees this session gone and no other.
        _store.BeforeGetOf[key] = store => store.BeforeGetOf[key] = _ => regenerated = copy.RegenerateAsync().GetAwaiter().GetResult();

        var signOut = await _laptop.SendAsync(HttpMethod.Delete, "/api/session/all", null, null);

        Assert.Equal(200, regenerated!.Status);
        Assert.Equal(204, signOut.Status);
        Assert.Equal(404, (await copy.GetAsync()).Status);
        Assert.Empty(_store.IndexMembers(IndexKey));
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public async Task Signing_out_everywhere_that_ends_in_409_keeps_this_session_so_the_client_can_retry()
    {
        await LoginBothAsync();
        using var tablet = _api.CreateSessionClient();
        Assert.Equal(201, (await tablet.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        _store[SessionKeys.Of(_phone.Jar["koa.sid"])] = null; // a Koa logout just after a save here: a young leftover

        var signOut = await _laptop.SendAsync(HttpMethod.Delete, "/api/session/all", null, null);

        Assert.Equal(409, signOut.Status);
        Assert.Empty(signOut.SetCookies);
        Assert.Equal(200, (await _laptop.GetAsync()).Status);
    }

    [Fact]
    public async Task Signing_out_everywhere_deletes_this_session_even_if_another_tab_gave_it_another_user_meanwhile()
    {
        Assert.Equal(201, (await _laptop.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        using var otherTab = _api.CreateSessionClient(jar: new Dictionary<string, string>(_laptop.Jar));
        var key = SessionKeys.Of(_laptop.Jar["koa.sid"]);
        SessionResponse? put = null;
        _store.BeforeDestroy.Enqueue((_, _) => put = otherTab.PutAsync("""{"user":{"id":"bob"}}""").GetAwaiter().GetResult());

        var signOut = await _laptop.SendAsync(HttpMethod.Delete, "/api/session/all", null, null);

        Assert.Equal(200, put!.Status);
        Assert.Equal(204, signOut.Status);
        Assert.Null(_store[key]);
        Assert.Empty(_store.IndexMembers(IndexKey));
    }

    [Fact]
    public async Task A_signed_out_device_that_saves_through_another_instance_leaves_no_entry_to_hold_up_the_next_sign_out()
    {
        // Another app instance, which still remembers the phone's session and so tries its save without reading first.
        using var otherInstance = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(_store), ("Session:UserIdPath", "/user/id"), ("Session:DangerouslyTrustClientsWithUserId", "true"));
        using var phone = otherInstance.CreateSessionClient();
        Assert.Equal(201, (await _laptop.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        Assert.Equal(201, (await phone.PostAsync(json: """{"user":{"id":"ada"}}""")).Status);
        Assert.Equal(204, (await SignOutOthersAsync(_laptop)).Status);
        var dead = phone.Jar["koa.sid"];

        Assert.Equal(404, (await phone.PatchAsync("""{"x":1}""")).Status);

        Assert.DoesNotContain(dead, _store.IndexMembers(IndexKey));
        Assert.Equal(204, (await SignOutOthersAsync(_laptop)).Status);
    }

    [Fact]
    public async Task Logins_from_elsewhere_during_a_sign_out_do_not_hold_it_up_and_what_it_listed_first_goes()
    {
        await LoginBothAsync();
        var arrived = new List<SessionClient>();
        // Just before every listing of the sign-out, another device logs in: a listing would bring news every time, until
        // the sign-out gave up at 409. Each login is in a millisecond of its own, so its created time is its own.
        for (var i = 0; i < UserSessionIndex.MaxSignOutListings; i++)
        {
            _store.BeforeIndexList.Enqueue((_, _) =>
            {
                Thread.Sleep(2);
                var device = _api.CreateSessionClient();
                arrived.Add(device);
                Assert.Equal(201, device.PostAsync(json: """{"user":{"id":"ada"}}""").GetAwaiter().GetResult().Status);
                Thread.Sleep(2);
            });
        }

        var signOut = await SignOutOthersAsync(_laptop);
        _store.BeforeIndexList.Clear();

        Assert.Equal(204, signOut.Status);
        Assert.Equal(200, (await _laptop.GetAsync()).Status);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        // The first listing had the first login, so it went; the logins after it began and after that listing stay.
        Assert.True(arrived.Count >= 2, $"{arrived.Count} logins arrived");
        Assert.Equal(404, (await arrived[0].GetAsync()).Status);
        foreach (var device in arrived.Skip(1)) Assert.Equal(200, (await device.GetAsync()).Status);
        foreach (var device in arrived) device.Dispose();
    }

    /// <summary>Hands out the queued sids first, then random ones, so a test can name a regenerate's new sid in advance.</summary>
    private sealed class ScriptedIds : ISessionIdGenerator
    {
        public Queue<string> Next { get; } = new();

        public ValueTask<string> GenerateAsync(HttpContext http) =>
            ValueTask.FromResult(Next.TryDequeue(out var id) ? id : Guid.NewGuid().ToString("N"));
    }
}
