using System.Reflection;
using System.Text.Json.Nodes;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The Bicep deployment, parsed with tree-sitter-bicep: it is syntactically valid, and it keeps the security promises
/// of the README (no access keys, managed identity everywhere, TLS 1.2, no wildcard CORS, Key Vault for the keys).
/// The Bicep compiler and Azure cannot run here, so these checks are what holds the files.
/// </summary>
public sealed class InfrastructureTests(BicepFiles bicep) : IClassFixture<BicepFiles>
{
    private BicepNode Single(string file, string typePrefix) => Assert.Single(bicep[file].Resources(typePrefix));

    [Fact]
    public void Every_bicep_file_parses_without_syntax_errors()
    {
        Assert.True(bicep.All.Count >= 6, "expected main.bicep and its modules");
        Assert.All(bicep.All, file => Assert.True(file.Errors.Count == 0, $"{file.Name}: {string.Join(", ", file.Errors)}"));
    }

    [Fact]
    public void Azure_cache_for_redis_has_no_access_keys_no_plain_port_and_tls_1_2()
    {
        var cache = Single("app/redis.bicep", "Microsoft.Cache/redis@");
        Assert.Equal("true", cache.Property("properties.disableAccessKeyAuthentication")!.Value);
        Assert.Equal("false", cache.Property("properties.enableNonSslPort")!.Value);
        Assert.Equal("1.2", cache.Property("properties.minimumTlsVersion")!.Value);
        Assert.Equal("true", cache.Property("properties.redisConfiguration.aad-enabled")!.Value);
        var access = Single("app/redis.bicep", "Microsoft.Cache/redis/accessPolicyAssignments@");
        Assert.Equal("Data Contributor", access.Property("properties.accessPolicyName")!.Value);
        Assert.Equal("dataContributorPrincipalId", access.Property("properties.objectId")!.Value);
    }

    [Fact]
    public void Azure_managed_redis_has_no_access_keys_and_encrypted_connections_only()
    {
        Assert.Equal("1.2", Single("app/redis.bicep", "Microsoft.Cache/redisEnterprise@").Property("properties.minimumTlsVersion")!.Value);
        var database = Single("app/redis.bicep", "Microsoft.Cache/redisEnterprise/databases@");
        Assert.Equal("Disabled", database.Property("properties.accessKeysAuthentication")!.Value);
        Assert.Equal("Encrypted", database.Property("properties.clientProtocol")!.Value);
        var access = Single("app/redis.bicep", "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@");
        Assert.Equal("dataContributorPrincipalId", access.Property("properties.user.objectId")!.Value);
    }

    [Fact]
    public void The_managed_redis_clustering_policy_is_a_parameter_that_keeps_enterprise_cluster_by_default()
    {
        // OSSCluster is safe because every command names one key (RedisClusterTests); the default keeps existing
        // deployments as they are, since Azure cannot change the policy of a database that exists.
        foreach (var (file, name) in new[] { ("main.bicep", "redisClusteringPolicy"), ("app/redis.bicep", "clusteringPolicy") })
        {
            var allowed = bicep[file].Decorators(name)["allowed"].Descendants().Where(n => n.Type == "string").Select(n => n.Value);
            Assert.Equal(["EnterpriseCluster", "OSSCluster"], allowed);
            Assert.Equal("EnterpriseCluster", bicep[file].Declaration("parameter_declaration", name).Nodes.Last().Value);
        }
        Assert.Equal("redisClusteringPolicy", bicep["main.bicep"].ModuleParams("app/redis.bicep").Property("clusteringPolicy")!.Value);
        var database = Single("app/redis.bicep", "Microsoft.Cache/redisEnterprise/databases@");
        Assert.Equal("clusteringPolicy", database.Property("properties.clusteringPolicy")!.Value);

        var parameters = JsonNode.Parse(RepositoryFiles.Read("infra", "main.parameters.json"))!["parameters"]!;
        Assert.Equal("${REDIS_CLUSTERING_POLICY=EnterpriseCluster}", parameters["redisClusteringPolicy"]!["value"]!.GetValue<string>());
        Assert.Contains("| `REDIS_CLUSTERING_POLICY` | `redisClusteringPolicy` |", RepositoryFiles.Read("README.md"));
    }

    [Fact]
    public void Storage_and_monitoring_accept_no_keys()
    {
        var storage = bicep["main.bicep"].ModuleParams("br/public:avm/res/storage/storage-account:0.8.3");
        Assert.Equal("false", storage.Property("allowSharedKeyAccess")!.Value);
        Assert.Equal("false", storage.Property("allowBlobPublicAccess")!.Value);
        Assert.Equal("TLS1_2", storage.Property("minimumTlsVersion")!.Value);
        Assert.Equal("true", Single("app/monitoring.bicep", "Microsoft.Insights/components@").Property("properties.DisableLocalAuth")!.Value);
        Assert.Equal("true", Single("app/monitoring.bicep", "Microsoft.OperationalInsights/workspaces@").Property("properties.features.disableLocalAuth")!.Value);
    }

    [Fact]
    public void The_function_app_is_flex_consumption_dotnet_10_with_a_user_assigned_identity_everywhere()
    {
        var app = Single("app/api.bicep", "Microsoft.Web/sites@");
        Assert.Equal("functionapp,linux", app.Property("kind")!.Value);
        Assert.Equal("UserAssigned", app.Property("identity.type")!.Value);
        Assert.Equal("true", app.Property("properties.httpsOnly")!.Value);
        Assert.Equal("identityId", app.Property("properties.keyVaultReferenceIdentity")!.Value);
        Assert.Equal("dotnet-isolated", app.Property("properties.functionAppConfig.runtime.name")!.Value);
        Assert.Equal("10.0", app.Property("properties.functionAppConfig.runtime.version")!.Value);
        Assert.Equal("UserAssignedIdentity", app.Property("properties.functionAppConfig.deployment.storage.authentication.type")!.Value);
        Assert.NotNull(app.Property("properties.functionAppConfig.scaleAndConcurrency.alwaysReady"));
        Assert.Equal("maximumInstanceCount", app.Property("properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount")!.Value);
        Assert.Equal("FC1", bicep["main.bicep"].ModuleParams("br/public:avm/res/web/serverfarm:0.1.1").Property("sku.name")!.Value);
    }

    [Fact]
    public void Cors_allows_credentials_for_an_explicit_list_and_no_wildcard_anywhere()
    {
        var app = Single("app/api.bicep", "Microsoft.Web/sites@");
        Assert.Equal("true", app.Property("properties.siteConfig.cors.supportCredentials")!.Value);
        Assert.Equal("corsAllowedOrigins", app.Property("properties.siteConfig.cors.allowedOrigins")!.Value);
        foreach (var file in bicep.All)
            Assert.DoesNotContain(file.Tree.Descendants(), n => n.Type == "string" && n.Value.Trim() == "*");
        Assert.DoesNotContain("*", RepositoryFiles.Read("infra", "main.parameters.json"));
    }

    [Fact]
    public void App_settings_hold_no_secret_and_use_identities()
    {
        var settings = SettingsObject();
        Assert.Equal("managedidentity", settings.Property("AzureWebJobsStorage__credential")!.Value);
        Assert.Contains("Authorization=AAD", settings.Property("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")!.Value);
        Assert.Equal("identityClientId", settings.Property("AZURE_CLIENT_ID")!.Value);
        // The worker's OpenTelemetry exporter runs only with the connection string, and signs in as AZURE_CLIENT_ID,
        // which must hold Monitoring Metrics Publisher on Application Insights (local auth is off).
        Assert.Equal("applicationInsightsConnectionString", settings.Property("APPLICATIONINSIGHTS_CONNECTION_STRING")!.Value);
        Assert.Contains("var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'", RepositoryFiles.Read("infra", "app", "rbac.bicep"));
        Assert.Contains("scope: applicationInsights", RepositoryFiles.Read("infra", "app", "rbac.bicep"));
        Assert.Equal("true", settings.Property("Session__Cookie__Secure")!.Value);
        Assert.Equal("cookieSameSite", settings.Property("Session__Cookie__SameSite")!.Value);
        Assert.Equal("true", settings.Property("Session__TrustForwardedProto")!.Value);
        // GET / must not be the host's welcome page; the app answers everything under api/ itself.
        Assert.Equal("true", settings.Property("AzureWebJobsDisableHomepage")!.Value);

        var everything = string.Join("\n", bicep.All.Select(f => File.ReadAllText(f.Path)));
        foreach (var forbidden in new[] { "listKeys(", "listConnectionStrings(", "AccountKey=", "primaryKey", "password=" })
            Assert.DoesNotContain(forbidden, everything, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Signing_keys_live_in_an_rbac_key_vault_and_reach_the_app_as_key_vault_references()
    {
        var vault = Single("app/keyvault.bicep", "Microsoft.KeyVault/vaults@");
        Assert.Equal("true", vault.Property("properties.enableRbacAuthorization")!.Value);
        var keyvault = File.ReadAllText(bicep["app/keyvault.bicep"].Path);
        Assert.Contains("Session__Keys__0: '@Microsoft.KeyVault(VaultName=", keyvault);
        Assert.Contains("4633458b-17de-408a-b874-0445c86b69e6", keyvault); // Key Vault Secrets User
        var main = File.ReadAllText(bicep["main.bicep"].Path);
        Assert.Matches(@"@secure\(\)\s*\n@minLength\(32\)[^\n]*\n@description\([^\n]*\)\s*\nparam sessionSigningKey string", main);
        Assert.Matches(@"@secure\(\)\s*\n@description\([^\n]*\)\s*\nparam sessionVerifyOnlyKey string", main);
    }

    [Fact]
    public void Every_session_app_setting_names_a_real_option()
    {
        var names = SettingsObject().Nodes.Where(n => n.Type == "object_property").Select(n => n.Nodes.First().Value)
            .Concat(["Session__Keys__0", "Session__Keys__1"])
            .Where(n => n.StartsWith("Session__", StringComparison.Ordinal));
        foreach (var name in names)
        {
            var type = typeof(SessionApiOptions);
            foreach (var part in name.Split("__").Skip(1).TakeWhile(p => !int.TryParse(p, out _)))
            {
                var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance);
                Assert.True(property is not null, $"{name}: {type.Name} has no property {part}");
                type = property.PropertyType;
            }
        }
        Assert.Equal("corsAllowedOrigins", SettingsObject().Property("Cors__AllowedOrigins__0")!.Descendants().Last(n => n.Type == "identifier").Value);
        Assert.NotNull(typeof(CrossOriginOptions).GetProperty(nameof(CrossOriginOptions.AllowedOrigins)));
        Assert.Equal("Cors", CrossOriginOptions.ConfigurationSection);
        Assert.Contains("\"Redis:HostName\"", RepositoryFiles.Read("SessionFunctions", "SessionRedisRegistration.cs"));
        Assert.NotNull(SettingsObject().Property("Redis__HostName"));
    }

    [Fact]
    public void Parameters_and_outputs_line_up_with_azd()
    {
        var main = bicep["main.bicep"];
        var parameters = JsonNode.Parse(RepositoryFiles.Read("infra", "main.parameters.json"))!["parameters"]!.AsObject();
        foreach (var (name, _) in parameters) Assert.Contains(name, main.ParameterNames);
        foreach (var output in new[] { "SESSION_API_URL", "AZURE_FUNCTION_NAME", "SERVICE_API_NAME", "REDIS_NAME", "KEY_VAULT_NAME", "AZURE_RESOURCE_GROUP" })
            Assert.Contains(output, main.OutputNames);
        Assert.Equal("'subscription'", "'" + main.Tree.Nodes.First(n => n.Type == "target_scope_assignment").Nodes.First().Value + "'");

        var azure = RepositoryFiles.Read("azure.yaml");
        Assert.Contains("project: ./SessionFunctions/", azure);
        Assert.Contains("host: function", azure);
        Assert.True(File.Exists(RepositoryFiles.PathOf("SessionFunctions", "SessionFunctions.csproj")));
    }

    [Fact]
    public void Storage_is_reachable_without_a_vnet_as_the_azd_flex_quickstart_has_it()
    {
        // AVM's storage module denies by default when networkAcls is omitted, which locks the app out of its own package.
        var storage = bicep["main.bicep"].ModuleParams("br/public:avm/res/storage/storage-account:0.8.3");
        Assert.Equal("Allow", storage.Property("networkAcls.defaultAction")?.Value);
        Assert.Equal("AzureServices", storage.Property("networkAcls.bypass")?.Value);
        Assert.Equal("false", storage.Property("allowSharedKeyAccess")!.Value);
    }

    [Fact]
    public void The_key_vault_can_be_purged_so_azd_down_then_azd_up_reuses_its_name()
    {
        var vault = Single("app/keyvault.bicep", "Microsoft.KeyVault/vaults@");
        Assert.Equal("true", vault.Property("properties.enableSoftDelete")!.Value);
        // Omitted, not false: Key Vault refuses false; with true, the name stays taken for the retention period.
        Assert.Null(vault.Property("properties.enablePurgeProtection"));
        // The name is fixed per environment, which is why purging matters.
        Assert.Contains("resourceToken", bicep["main.bicep"].ModuleParams("app/keyvault.bicep").Property("name")!.Descendants().Select(n => n.Value));
        var readme = RepositoryFiles.Read("README.md");
        Assert.Contains("azd down --purge", readme);
        Assert.Contains("az keyvault purge", readme);
    }

    [Fact]
    public void Maximum_instance_count_is_limited_to_flex_consumptions_range_40_to_1000()
    {
        foreach (var file in new[] { "main.bicep", "app/api.bicep" })
        {
            var decorators = bicep[file].Decorators("maximumInstanceCount");
            Assert.Equal("40", decorators["minValue"].Nodes.Single().Value);
            Assert.Equal("1000", decorators["maxValue"].Nodes.Single().Value);
            Assert.Equal("40", bicep[file].Declaration("parameter_declaration", "maximumInstanceCount").Nodes.Last().Value);
        }
        Assert.Contains("${MAXIMUM_INSTANCE_COUNT=40}", RepositoryFiles.Read("infra", "main.parameters.json"));
    }

    [Fact]
    public void The_deploying_principals_role_assignments_take_its_type_from_azd()
    {
        var main = bicep["main.bicep"];
        var allowed = main.Decorators("principalType")["allowed"].Descendants().Where(n => n.Type == "string").Select(n => n.Value);
        Assert.Equal(["User", "ServicePrincipal"], allowed);
        Assert.Equal("User", main.Declaration("parameter_declaration", "principalType").Nodes.Last().Value);
        var parameters = JsonNode.Parse(RepositoryFiles.Read("infra", "main.parameters.json"))!["parameters"]!;
        Assert.Equal("${AZURE_PRINCIPAL_TYPE=User}", parameters["principalType"]!["value"]!.GetValue<string>());
        Assert.Equal("principalType", main.ModuleParams("app/rbac.bicep").Property("userPrincipalType")!.Value);

        var rbac = bicep["app/rbac.bicep"];
        var assignments = rbac.Resources("Microsoft.Authorization/roleAssignments@").ToList();
        Assert.Equal(4, assignments.Count);
        foreach (var assignment in assignments)
        {
            var principal = assignment.Property("properties.principalId")!.Value;
            var type = assignment.Property("properties.principalType")!.Value;
            // The app's identity is always a service principal; the deploying one is whatever azd runs as.
            Assert.Equal(principal == "userPrincipalId" ? "userPrincipalType" : "ServicePrincipal", type);
        }
        Assert.DoesNotContain(bicep.All.SelectMany(f => f.Tree.Descendants()),
            n => n.Type == "object_property" && n.Nodes.First().Value == "principalType" && n.Nodes.ElementAt(1).Value == "User");
    }

    [Fact]
    public void No_output_is_computed_from_a_secure_parameter()
    {
        var checkedOutputs = 0;
        foreach (var file in bicep.All)
        {
            // A variable computed from a secure parameter is as secret as the parameter.
            var tainted = file.SecureParameterNames.ToHashSet(StringComparer.Ordinal);
            var variables = file.Tree.Nodes.Where(n => n.Type == "variable_declaration").ToList();
            for (var grew = true; grew;)
            {
                grew = false;
                foreach (var variable in variables.Where(v => !tainted.Contains(v.Nodes.First().Value)))
                    if (References(variable.Nodes.Skip(1)).Any(tainted.Contains)) grew = tainted.Add(variable.Nodes.First().Value);
            }
            foreach (var output in file.Tree.Nodes.Where(n => n.Type == "output_declaration"))
            {
                var name = output.Nodes.First().Value;
                var used = References(output.Nodes.Skip(2)).ToList();
                Assert.True(!used.Any(tainted.Contains), $"{file.Name}: output {name} is computed from a secure value ({string.Join(", ", used.Where(tainted.Contains))})");
                Assert.DoesNotContain(used, u => u.StartsWith("list", StringComparison.Ordinal));
                Assert.DoesNotContain("password", name, StringComparison.OrdinalIgnoreCase);
                checkedOutputs++;
            }
        }
        Assert.True(checkedOutputs >= 10);
        Assert.Contains("verifyOnlyKey", bicep["app/keyvault.bicep"].SecureParameterNames);
        Assert.DoesNotContain("hasVerifyOnlyKey", bicep["app/keyvault.bicep"].SecureParameterNames);
    }

    /// <summary>The names an expression refers to (parameters, variables, resources, functions), not object keys.</summary>
    private static IEnumerable<string> References(IEnumerable<BicepNode> expression) => expression.SelectMany(Identifiers).Distinct();

    private static IEnumerable<string> Identifiers(BicepNode node) =>
        node.Type == "identifier"
            ? [node.Value]
            : (node.Type == "object_property" ? node.Nodes.Skip(1) : node.Nodes).SelectMany(Identifiers);

    private BicepNode SettingsObject()
    {
        var declaration = bicep["app/api.bicep"].Tree.Nodes.Single(n => n.Type == "variable_declaration" && n.Nodes.First().Value == "settings");
        // settings = union(signingKeyReferences, { ... })
        return declaration.Descendants().Last(n => n.Type == "object" && n.Property("AzureWebJobsStorage__credential") is not null);
    }
}
