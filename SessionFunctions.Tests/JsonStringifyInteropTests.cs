using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SessionFunctions.Storage;

namespace SessionFunctions.Tests;

/// <summary>
/// What this service writes for a parsed value is what Koa writes for it: <c>JSON.stringify(JSON.parse(text))</c>, run
/// by Node itself over edge cases and a few thousand seeded random numbers and objects. Numbers are JavaScript's
/// doubles printed as JavaScript prints them; integer-like keys come first, in ascending order.
/// </summary>
public sealed class JsonStringifyInteropTests
{
    private static readonly string[] EdgeNumbers =
    [
        "0", "-0", "0.0", "-0.0", "1", "-1", "1.0", "100.000", "1e2", "1E2", "1e+2", "0.1e1", "-1.5", "0.1", "0.000001",
        "0.0000001", "1e-6", "1e-7", "1.5e-7", "1.2e-6", "1.23e-5", "123e-20", "1e20", "1e21", "1e+21", "123456789012345678901",
        "123456789012345", "-123456789012345", "1234567890123456", "12345678901234567", "9007199254740993", "9007199254740992",
        "1.7976931348623157e308", "1.7976931348623159e308", "1e400", "-1e400", "5e-324", "2e-324", "4.9e-324", "1e-400",
        "3.14159265358979323846", "0.30000000000000004", "2.5e-300", "99999999999999999999", "999999999999999999999",
        "1e15", "1e16", "123.456e10", "-7.0e-10",
    ];

    private static readonly string[] EdgeObjects =
    [
        """{"b":1,"2":2,"10":3,"1":4,"01":5,"4294967294":6,"4294967295":7,"-1":8,"1.5":9,"a":10,"0":11,"":12," 1":13,"1 ":14}""",
        """{"cookie":{"httpOnly":true,"path":"/","maxAge":86400000},"42":"x","7":"y","nick":{"9":1,"id":"ada","3":2}}""",
        """{"x":[{"2":1,"1":2}],"9999999999":1,"4294967296":2,"123":3}""",
    ];

    [Fact]
    public async Task Numbers_and_key_order_are_written_as_node_writes_them()
    {
        var random = new Random(20261122);
        var inputs = new List<string>(EdgeObjects);
        inputs.AddRange(EdgeNumbers.Select(n => $$"""{"n":{{n}}}"""));
        for (var i = 0; i < 3000; i++)
        {
            var value = BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue));
            if (!double.IsFinite(value)) continue;
            inputs.Add($$"""{"n":{{value.ToString("R", CultureInfo.InvariantCulture)}}}""");
            // The same value written another way: more digits, or an exponent JavaScript would not use.
            inputs.Add($$"""{"n":{{value.ToString("E20", CultureInfo.InvariantCulture)}}}""");
        }
        for (var i = 0; i < 1000; i++)
        {
            var digits = random.Next(1, 25);
            var integer = (random.Next(2) == 0 ? "-" : "") + random.Next(1, 10) + string.Concat(Enumerable.Range(1, digits - 1).Select(_ => random.Next(10)));
            var scale = random.Next(-30, 30);
            inputs.Add($$"""{"i":{{integer}},"d":{{integer}}e{{scale}},"f":{{integer}}.{{random.Next(0, 1000)}}}""");
        }
        string[] keyPool = ["0", "1", "2", "9", "10", "11", "99", "100", "007", "4294967294", "4294967295", "-3", "1.0", "a", "b", "id", "nick", "1a", "_"];
        for (var i = 0; i < 500; i++)
        {
            var keys = keyPool.OrderBy(_ => random.Next()).Take(random.Next(1, keyPool.Length)).ToList();
            inputs.Add("{" + string.Join(",", keys.Select((k, j) => $"\"{k}\":{j}")) + "}");
        }

        var node = await NodeStringifyAsync(inputs);

        var mismatches = inputs.Zip(node)
            .Select(pair => (Input: pair.First, Node: pair.Second, Ours: SessionJson.Serialize(JsonNode.Parse(pair.First)!)))
            .Where(r => r.Ours != r.Node)
            .Select(r => $"{r.Input}: node {r.Node}, ours {r.Ours}")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {inputs.Count} differ:\n" + string.Join("\n", mismatches.Take(20)));
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-0.0, "0")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(123456789012345680000d, "123456789012345680000")]
    [InlineData(double.PositiveInfinity, "null")]
    public void Number_to_string_follows_ecmascript(double value, string expected) => Assert.Equal(expected, SessionJson.JavaScriptNumber(value));

    /// <summary><c>JSON.stringify(JSON.parse(text))</c> for each text, by Node.</summary>
    private static async Task<List<string>> NodeStringifyAsync(List<string> texts)
    {
        var start = new ProcessStartInfo("node", ["-e", "const t=JSON.parse(require('fs').readFileSync(0,'utf8'));process.stdout.write(JSON.stringify(t.map(s=>JSON.stringify(JSON.parse(s)))))"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(texts));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, await error);
        return JsonSerializer.Deserialize<List<string>>(await output)!;
    }
}
