using Microsoft.Extensions.DependencyInjection;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests.Lifecycle;

/// <summary>
/// "Sign out other devices" against a regenerate on one of those devices at the worst moment, on a
/// <see cref="ScriptedSessionStore"/> that runs the regenerate at an exact step of the sign-out (or the other way round).
/// Whichever finishes first, no session derived from a signed-out one may outlive the sign-out: that is what a user who
/// signs out a stolen session relies on.
/// </summary>
public sealed class SignOutRaceTests : IDisposable
{
    private const string IndexKey = "koa:sess:user:ada";
    private readonly ScriptedSessionStore _store = new(TimeProvider.System);
    private readonly SessionApiFactory _api;
    private readonly SessionClient _laptop;
    private readonly SessionClient _phone;

    public SignOutRaceTests()
    {
        _api = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(_store), ("Session:UserIdPath", "/user/id"));
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

    [Fact]
    public async Task A_regenerate_that_completes_between_the_listing_and_the_delete_is_signed_out_too()
    {
        await LoginBothAsync();
        var before = _phone.Jar["koa.sid"];
        SessionResponse? regenerated = null;
        // The sign-out listed the phone's session; just before it deletes it, the phone regenerates, all the way.
        _store.BeforeDestroy.Enqueue((_, key) =>
        {
            Assert.Equal("koa:sess:" + before, key);
            regenerated = _phone.RegenerateAsync().GetAwaiter().GetResult();
        });

        var signOut = await _laptop.SendAsync(HttpMethod.Delete, "/api/session/others", null, null);

        Assert.Equal(204, signOut.Status);
        Assert.Equal(200, regenerated!.Status);
        Assert.NotEqual(before, _phone.Jar["koa.sid"]);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Equal(200, (await _laptop.GetAsync()).Status);
        Assert.Equal([_laptop.Jar["koa.sid"]], _store.IndexMembers(IndexKey));
        Assert.Equal(1, _store.Count);
    }

    [Fact]
    public async Task A_regenerate_whose_session_is_signed_out_before_its_delete_answers_409_and_leaves_no_session()
    {
        await LoginBothAsync();
        var before = _phone.Jar["koa.sid"];
        SessionResponse? signOut = null;
        // The phone stored its new session; just before it deletes the old one, the laptop signs out the others.
        _store.BeforeDestroy.Enqueue((_, _) =>
            signOut = _laptop.SendAsync(HttpMethod.Delete, "/api/session/others", null, null).GetAwaiter().GetResult());

        var regenerate = await _phone.RegenerateAsync();

        Assert.Equal(204, signOut!.Status);
        Assert.Equal(409, regenerate.Status);
        Assert.Empty(regenerate.SetCookies);
        Assert.Equal(before, _phone.Jar["koa.sid"]);
        Assert.Equal(404, (await _phone.GetAsync()).Status);
        Assert.Equal([_laptop.Jar["koa.sid"]], _store.IndexMembers(IndexKey));
        Assert.Equal(1, _store.Count);
    }
}
