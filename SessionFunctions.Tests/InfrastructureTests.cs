extern alias functions;

using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SessionFunctions.Configuration;
using SessionFunctions.Tests.Infrastructure;
using FunctionsApp = functions::SessionFunctions.Functions;

namespace SessionFunctions.Tests;

/// <summary>
/// The Bicep deployment, compiled and linted by the real Bicep CLI (0.49.2, from NuGet): it compiles with no error
/// and no warning under infra/bicepconfig.json, and the ARM template it compiles to keeps the security promises of the
/// deployment in docs/operations.md (no access keys, managed identity everywhere, TLS 1.2, no wildcard CORS, Key Vault for the keys).
/// What only a deployment shows (RBAC propagation, the Flex deployment, Entra auth to Redis) is in docs/deployment.md.
/// </summary>
public sealed partial class InfrastructureTests(CompiledDeployment deployment) : IClassFixture<CompiledDeployment>
{
    private ArmTemplate Main => deployment.Main;

    private ArmResource Single(string module, string type) => Assert.Single(Main.Module(module).Resources(type));

    private static ArmExpression Expression(string? templateString) =>
        ArmExpression.Of(templateString) ?? throw new InvalidOperationException($"'{templateString}' is not an expression.");

    [Fact]
    public void The_deployment_compiles_and_every_bicep_file_lints_without_errors_or_warnings()
    {
        foreach (var run in new[] { deployment.Build, deployment.Lint })
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.True(!run.ErrorsAndWarnings.Any(), $"{run.ErrorsAndWarnings.Count()} errors and warnings. {run}");
            Assert.True(!run.OtherOutput.Any(), $"Output that is not a diagnostic. {run}");
        }
        // The opt-in rules this deployment holds itself to are on (docs/deployment.md says which are off, and why).
        var config = JsonNode.Parse(RepositoryFiles.Read("infra", "bicepconfig.json"), documentOptions: new() { CommentHandling = JsonCommentHandling.Skip })!;
        var rules = config["analyzers"]!["core"]!["rules"]!.AsObject();
        var optIn = new[]
        {
            "use-recent-api-versions", "use-user-defined-types", "what-if-short-circuiting", "use-resource-id-functions",
            "explicit-values-for-loc-params", "no-hardcoded-location", "no-loc-expr-outside-params",
        };
        foreach (var rule in optIn)
            Assert.Equal("warning", rules[rule]?["level"]?.GetValue<string>());
        // The newest API version the compiler knows, not one younger than two years: a check that does not age.
        Assert.Equal(0, rules["use-recent-api-versions"]!["maxAgeInDays"]?.GetValue<int>());
    }

    [Fact]
    public void Every_module_is_compiled_into_the_template_and_none_comes_from_a_registry()
    {
        // A registry module cannot be restored offline and would fail the build; a template link would
        // leave a module out of these checks.
        var modules = Main.Modules.Select(m => m.Name).Order().ToList();
        Assert.Equal(["api", "identity", "keyvault", "monitoring", "plan", "rbac", "redis", "storage"], modules);
        Assert.Equal(
            Directory.GetFiles(RepositoryFiles.PathOf("infra", "app"), "*.bicep").Length,
            modules.Count);
        Assert.DoesNotContain(Main.AllTemplates, t => t.Deployment?["properties"]?["templateLink"] is not null);
        Assert.Equal("https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", ArmTemplate.Text(Main.Json["$schema"]));
    }

    [Fact]
    public void Azure_cache_for_redis_has_no_access_keys_no_plain_port_and_tls_1_2()
    {
        var cache = Single("redis", "Microsoft.Cache/redis");
        Assert.Equal(true, cache["properties.disableAccessKeyAuthentication"]?.GetValue<bool>());
        Assert.Equal(false, cache["properties.enableNonSslPort"]?.GetValue<bool>());
        Assert.Equal("1.2", cache.Text("properties.minimumTlsVersion"));
        Assert.Equal("true", cache["properties.redisConfiguration"]?["aad-enabled"]?.GetValue<string>());
        Assert.Equal("[not(variables('isManaged'))]", cache.Condition);

        var access = Single("redis", "Microsoft.Cache/redis/accessPolicyAssignments");
        Assert.Equal("Data Contributor", access.Text("properties.accessPolicyName"));
        Assert.Equal("[parameters('dataContributorPrincipalId')]", access.Text("properties.objectId"));
        Assert.Equal("[not(variables('isManaged'))]", access.Condition);
        Assert.Equal("[equals(parameters('kind'), 'AzureManagedRedis')]", ArmTemplate.Text(Main.Module("redis").Variables["isManaged"]));
        AssertIsTheAppIdentitysPrincipalId(Main.Module("redis").Argument("dataContributorPrincipalId"));
    }

    [Fact]
    public void Azure_managed_redis_has_no_access_keys_and_encrypted_connections_only()
    {
        var cluster = Single("redis", "Microsoft.Cache/redisEnterprise");
        Assert.Equal("1.2", cluster.Text("properties.minimumTlsVersion"));
        Assert.Equal("[variables('isManaged')]", cluster.Condition);
        var database = Single("redis", "Microsoft.Cache/redisEnterprise/databases");
        Assert.Equal("Disabled", database.Text("properties.accessKeysAuthentication"));
        Assert.Equal("Encrypted", database.Text("properties.clientProtocol"));
        Assert.Equal(10000, database["properties.port"]?.GetValue<int>());
        // Evicting a live session would sign its user out.
        Assert.Equal("NoEviction", database.Text("properties.evictionPolicy"));
        var access = Single("redis", "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments");
        Assert.Equal("default", access.Text("properties.accessPolicyName"));
        Assert.Equal("[parameters('dataContributorPrincipalId')]", access["properties.user"]?["objectId"]?.GetValue<string>());
        Assert.Equal("[variables('isManaged')]", access.Condition);
    }

    [Fact]
    public void The_managed_redis_clustering_policy_is_a_parameter_that_keeps_enterprise_cluster_by_default()
    {
        // OSSCluster is safe because every command names one key (RedisClusterTests); the default keeps existing
        // deployments as they are, since Azure cannot change the policy of a database that exists.
        foreach (var (template, name) in new[] { (Main, "redisClusteringPolicy"), (Main.Module("redis"), "clusteringPolicy") })
        {
            var parameter = template.Parameters[name]!;
            Assert.Equal(["EnterpriseCluster", "OSSCluster"], parameter["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()));
            Assert.Equal("EnterpriseCluster", parameter["defaultValue"]?.GetValue<string>());
        }
        Assert.Equal("[parameters('redisClusteringPolicy')]", ArmTemplate.Text(Main.Module("redis").Argument("clusteringPolicy")));
        Assert.Equal("[parameters('clusteringPolicy')]", Single("redis", "Microsoft.Cache/redisEnterprise/databases").Text("properties.clusteringPolicy"));

        var parameters = JsonNode.Parse(RepositoryFiles.Read("infra", "main.parameters.json"))!["parameters"]!;
        Assert.Equal("${REDIS_CLUSTERING_POLICY=EnterpriseCluster}", parameters["redisClusteringPolicy"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Storage_and_monitoring_accept_no_keys()
    {
        var storage = Single("storage", "Microsoft.Storage/storageAccounts");
        Assert.Equal(false, storage["properties.allowSharedKeyAccess"]?.GetValue<bool>());
        Assert.Equal(false, storage["properties.allowBlobPublicAccess"]?.GetValue<bool>());
        Assert.Equal(false, storage["properties.allowCrossTenantReplication"]?.GetValue<bool>());
        Assert.Equal("TLS1_2", storage.Text("properties.minimumTlsVersion"));
        Assert.Equal(true, storage["properties.supportsHttpsTrafficOnly"]?.GetValue<bool>());
        Assert.Equal(true, storage["properties.encryption.requireInfrastructureEncryption"]?.GetValue<bool>());
        Assert.Equal("None", Single("storage", "Microsoft.Storage/storageAccounts/blobServices/containers").Text("properties.publicAccess"));

        Assert.Equal(true, Single("monitoring", "Microsoft.Insights/components")["properties.DisableLocalAuth"]?.GetValue<bool>());
        Assert.Equal(true, Single("monitoring", "Microsoft.OperationalInsights/workspaces")["properties.features.disableLocalAuth"]?.GetValue<bool>());
    }

    [Fact]
    public void Storage_is_reachable_without_a_vnet_as_the_azd_flex_quickstart_has_it()
    {
        // Denying by default (what AVM's storage module did when networkAcls was omitted) locks the app out of its own
        // package; every request still needs an identity with a role, since shared keys are off.
        var storage = Single("storage", "Microsoft.Storage/storageAccounts");
        Assert.Equal("Allow", storage.Text("properties.networkAcls.defaultAction"));
        Assert.Equal("AzureServices", storage.Text("properties.networkAcls.bypass"));
        Assert.Equal("Enabled", storage.Text("properties.publicNetworkAccess"));
        Assert.Equal(false, storage["properties.allowSharedKeyAccess"]?.GetValue<bool>());
    }

    [Fact]
    public void The_app_deploys_from_the_container_the_storage_module_creates()
    {
        var container = Single("storage", "Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.EndsWith("parameters('deploymentContainerName'))]", container.Text("name"), StringComparison.Ordinal);
        Assert.Equal("[variables('deploymentContainerName')]", ArmTemplate.Text(Main.Module("storage").Argument("deploymentContainerName")));
        Assert.Equal("[variables('deploymentContainerName')]", ArmTemplate.Text(Main.Module("api").Argument("deploymentContainerName")));
        // The module looks the account up by the name main.bicep gives it, which is the one the storage module creates.
        Assert.Equal("[variables('storageAccountName')]", ArmTemplate.Text(Main.Module("storage").Argument("name")));
        Assert.Equal("[variables('storageAccountName')]", ArmTemplate.Text(Main.Module("api").Argument("storageAccountName")));
        Assert.Equal("[variables('storageAccountName')]", ArmTemplate.Text(Main.Module("rbac").Argument("storageAccountName")));
        var site = Single("api", "Microsoft.Web/sites");
        Assert.Equal("[format('{0}{1}', reference('storage').primaryEndpoints.blob, parameters('deploymentContainerName'))]",
            site.Text("properties.functionAppConfig.deployment.storage.value"));
    }

    [Fact]
    public void The_function_app_is_flex_consumption_dotnet_10_with_a_user_assigned_identity_everywhere()
    {
        var app = Single("api", "Microsoft.Web/sites");
        Assert.Equal("functionapp,linux", app.Text("kind"));
        Assert.Equal("UserAssigned", app.Text("identity.type"));
        Assert.Equal(["[format('{0}', parameters('identityId'))]"], app["identity.userAssignedIdentities"]!.AsObject().Select(p => p.Key));
        Assert.Equal(true, app["properties.httpsOnly"]?.GetValue<bool>());
        Assert.Equal("[parameters('identityId')]", app.Text("properties.keyVaultReferenceIdentity"));
        Assert.Equal("dotnet-isolated", app.Text("properties.functionAppConfig.runtime.name"));
        Assert.Equal("10.0", app.Text("properties.functionAppConfig.runtime.version"));
        Assert.Equal("UserAssignedIdentity", app.Text("properties.functionAppConfig.deployment.storage.authentication.type"));
        Assert.Equal("[parameters('identityId')]", app.Text("properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId"));
        Assert.Contains("parameters('alwaysReadyInstances')", app.Text("properties.functionAppConfig.scaleAndConcurrency.alwaysReady"), StringComparison.Ordinal);
        Assert.Equal("[parameters('maximumInstanceCount')]", app.Text("properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount"));
        Assert.Equal("1.2", app.Text("properties.siteConfig.minTlsVersion"));
        Assert.Equal("Disabled", app.Text("properties.siteConfig.ftpsState"));

        Assert.Equal("[parameters('planId')]", app.Text("properties.serverFarmId"));
        Assert.Contains("'plan'", ArmTemplate.Text(Main.Module("api").Argument("planId")), StringComparison.Ordinal);
        var plan = Single("plan", "Microsoft.Web/serverfarms");
        Assert.Equal("FC1", plan.Text("sku.name"));
        Assert.Equal("FlexConsumption", plan.Text("sku.tier"));
        Assert.Equal(true, plan["properties.reserved"]?.GetValue<bool>());

        // One identity: the site's, the one whose client id the settings name, and the one every role is granted to.
        var identity = Main.Module("identity");
        Assert.Single(identity.Resources("Microsoft.ManagedIdentity/userAssignedIdentities"));
        Assert.Equal(["clientId", "name", "principalId", "resourceId"], identity.Outputs.Select(o => o.Key).Order());
        Assert.Equal("[reference('identity').principalId]", ArmTemplate.Text(identity.Outputs["principalId"]!["value"]));
        Assert.Equal("[reference('identity').clientId]", ArmTemplate.Text(identity.Outputs["clientId"]!["value"]));
        Assert.Equal("[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('name'))]", ArmTemplate.Text(identity.Outputs["resourceId"]!["value"]));
        Assert.EndsWith("'identity'), '2025-04-01').outputs.resourceId.value]", ArmTemplate.Text(Main.Module("api").Argument("identityId")), StringComparison.Ordinal);
        Assert.EndsWith("'identity'), '2025-04-01').outputs.clientId.value]", ArmTemplate.Text(Main.Module("api").Argument("identityClientId")), StringComparison.Ordinal);
        Assert.Equal("[variables('tags')]", ArmTemplate.Text(identity.Argument("tags")));
    }

    [Fact]
    public void Cors_allows_credentials_for_an_explicit_list_and_no_wildcard_anywhere()
    {
        var app = Single("api", "Microsoft.Web/sites");
        Assert.Equal(true, app["properties.siteConfig.cors.supportCredentials"]?.GetValue<bool>());
        Assert.Equal("[parameters('corsAllowedOrigins')]", app.Text("properties.siteConfig.cors.allowedOrigins"));
        Assert.Equal("array", Main.Module("api").Parameters["corsAllowedOrigins"]!["type"]!.GetValue<string>());
        Assert.Contains("split(parameters('corsAllowedOrigins'), ',')", ArmTemplate.Text(Main.Module("api").Argument("corsAllowedOrigins")), StringComparison.Ordinal);

        // No literal "*", in any string or any argument of any expression.
        var literals = ArmTemplate.Strings(Main.Json)
            .SelectMany(s => ArmExpression.Of(s)?.Descendants().Select(e => e.StringValue).OfType<string>() ?? [s]);
        Assert.DoesNotContain(literals, s => s.Trim() == "*");
        Assert.DoesNotContain("*", RepositoryFiles.Read("infra", "main.parameters.json"), StringComparison.Ordinal);
    }

    [Fact]
    public void App_settings_hold_no_secret_and_use_identities()
    {
        var settings = AppSettings();
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"].StringValue);
        Assert.Equal("parameters('identityClientId')", settings["AzureWebJobsStorage__clientId"].Text);
        Assert.Equal("reference('storage').primaryEndpoints.blob", settings["AzureWebJobsStorage__blobServiceUri"].Text);
        Assert.Equal("format('ClientId={0};Authorization=AAD', parameters('identityClientId'))", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].Text);
        Assert.Equal("parameters('identityClientId')", settings["AZURE_CLIENT_ID"].Text);
        // The worker's OpenTelemetry exporter runs only with the connection string, and signs in as AZURE_CLIENT_ID,
        // which must hold Monitoring Metrics Publisher on Application Insights (local auth is off).
        Assert.Equal("parameters('applicationInsightsConnectionString')", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"].Text);
        var metrics = Assert.Single(Main.Module("rbac").Resources("Microsoft.Authorization/roleAssignments"),
            r => r.Text("properties.principalId") == "[parameters('appPrincipalId')]"
                && r.Text("properties.roleDefinitionId")!.Contains("variables('monitoringMetricsPublisher')", StringComparison.Ordinal));
        Assert.Equal("3913510d-42f4-4e42-8a64-420c390055eb", ArmTemplate.Text(Main.Module("rbac").Variables["monitoringMetricsPublisher"]));
        Assert.Contains("'Microsoft.Insights/components'", metrics.Text("scope"), StringComparison.Ordinal);
        Assert.Equal("true", settings["Session__Cookie__Secure"].StringValue);
        Assert.Equal("parameters('cookieSameSite')", settings["Session__Cookie__SameSite"].Text);
        Assert.Equal("true", settings["Session__TrustForwardedProto"].StringValue);
        // GET / must not be the host's welcome page; the app answers everything under api/ itself.
        Assert.Equal("true", settings["AzureWebJobsDisableHomepage"].StringValue);

        // No key, connection secret or password anywhere in the template: not in a value, not through a list*() call.
        var strings = ArmTemplate.Strings(Main.Json).ToList();
        foreach (var forbidden in new[] { "AccountKey=", "primaryKey", "password=", "SharedAccessKey" })
            Assert.DoesNotContain(strings, s => s.Contains(forbidden, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(strings, s => ListFunction().IsMatch(s));
    }

    [Fact]
    public void Signing_keys_live_in_an_rbac_key_vault_and_reach_the_app_as_key_vault_references()
    {
        var vault = Single("keyvault", "Microsoft.KeyVault/vaults");
        Assert.Equal(true, vault["properties.enableRbacAuthorization"]?.GetValue<bool>());
        var keyVault = Main.Module("keyvault");
        var secrets = keyVault.Resources("Microsoft.KeyVault/vaults/secrets").ToList();
        Assert.Equal(["[parameters('signingKey')]", "[parameters('verifyOnlyKey')]"], secrets.Select(s => s.Text("properties.value")));
        Assert.Equal([null, "[parameters('hasVerifyOnlyKey')]"], secrets.Select(s => s.Condition));

        // Key Vault Secrets User for the app's identity, on this vault only.
        var secretsUser = Assert.Single(keyVault.Resources("Microsoft.Authorization/roleAssignments"));
        Assert.Equal("4633458b-17de-408a-b874-0445c86b69e6", ArmTemplate.Text(keyVault.Variables["keyVaultSecretsUser"]));
        Assert.Equal("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('keyVaultSecretsUser'))]", secretsUser.Text("properties.roleDefinitionId"));
        Assert.Equal("[resourceId('Microsoft.KeyVault/vaults', parameters('name'))]", secretsUser.Text("scope"));
        Assert.Equal("[parameters('appPrincipalId')]", secretsUser.Text("properties.principalId"));
        AssertIsTheAppIdentitysPrincipalId(keyVault.Argument("appPrincipalId"));

        var references = Expression(ArmTemplate.Text(keyVault.Outputs["signingKeyReferences"]!["value"]));
        var formats = references.Descendants().Where(e => e.Function == "format").Select(e => e.Arguments[0].StringValue).ToList();
        Assert.Equal(["@Microsoft.KeyVault(VaultName={0};SecretName={1})", "@Microsoft.KeyVault(VaultName={0};SecretName=session-key-1)"], formats);
        Assert.Equal("[reference(extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', subscription().subscriptionId, format('{0}{1}', variables('abbrs').resourcesResourceGroups, parameters('environmentName'))), 'Microsoft.Resources/deployments', 'keyvault'), '2025-04-01').outputs.signingKeyReferences.value]",
            ArmTemplate.Text(Main.Module("api").Argument("signingKeyReferences")));
        Assert.Equal("parameters('signingKeyReferences')", Expression(Single("api", "Microsoft.Web/sites/config").Text("properties")).Arguments[0].Text);

        var signingKey = Main.Parameters["sessionSigningKey"]!;
        Assert.Equal("securestring", signingKey["type"]!.GetValue<string>());
        Assert.Equal(32, signingKey["minLength"]!.GetValue<int>());
        Assert.Equal("securestring", Main.Parameters["sessionVerifyOnlyKey"]!["type"]!.GetValue<string>());
        Assert.Equal("[parameters('sessionSigningKey')]", ArmTemplate.Text(keyVault.Argument("signingKey")));
        Assert.Equal("[parameters('sessionVerifyOnlyKey')]", ArmTemplate.Text(keyVault.Argument("verifyOnlyKey")));
    }

    [Fact]
    public void Every_session_app_setting_names_a_real_option()
    {
        var settings = AppSettings();
        var names = settings.Keys.Concat(["Session__Keys__0", "Session__Keys__1"]).Where(n => n.StartsWith("Session__", StringComparison.Ordinal)).ToList();
        Assert.True(names.Count >= 6);
        foreach (var name in names)
        {
            var type = typeof(SessionApiOptions);
            foreach (var part in name.Split("__").Skip(1).TakeWhile(p => !int.TryParse(p, CultureInfo.InvariantCulture, out _)))
            {
                var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance);
                Assert.True(property is not null, $"{name}: {type.Name} has no property {part}");
                type = property.PropertyType;
            }
        }
        // The keys that reach the app as Key Vault references are exactly the ones this test checks.
        var keyReferences = Main.Module("keyvault").Json["definitions"]!["signingKeySettings"]!["properties"]!.AsObject().Select(p => p.Key);
        Assert.Equal(["Session__Keys__0", "Session__Keys__1"], keyReferences);

        Assert.Equal("join(parameters('corsAllowedOrigins'), ',')", settings["Cors__AllowedOrigins__0"].Text);
        Assert.NotNull(typeof(CrossOriginOptions).GetProperty(nameof(CrossOriginOptions.AllowedOrigins)));
        Assert.Equal("Cors", CrossOriginOptions.ConfigurationSection);
        // The Functions app reaches Redis with the settings the template gives it: the host name, and the identity's client id.
        Assert.Equal("parameters('redisHostName')", settings[AppSetting(FunctionsApp.SessionRedisRegistration.HostNameSetting)].Text);
        Assert.Equal("parameters('identityClientId')", settings[AppSetting(FunctionsApp.SessionRedisRegistration.ClientIdSetting)].Text);
    }

    [Fact]
    public void Outputs_line_up_with_azd()
    {
        foreach (var output in new[] { "SESSION_API_URL", "AZURE_FUNCTION_NAME", "SERVICE_API_NAME", "REDIS_NAME", "REDIS_HOST", "KEY_VAULT_NAME", "AZURE_RESOURCE_GROUP", "AZURE_LOCATION", "AZURE_TENANT_ID" })
            Assert.Contains(output, Main.Outputs.Select(o => o.Key));
        Assert.Equal("[format('{0}/api/session', reference(extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', subscription().subscriptionId, format('{0}{1}', variables('abbrs').resourcesResourceGroups, parameters('environmentName'))), 'Microsoft.Resources/deployments', 'api'), '2025-04-01').outputs.url.value)]",
            ArmTemplate.Text(Main.Outputs["SESSION_API_URL"]!["value"]));
        Assert.Equal("[format('https://{0}', reference('api').defaultHostName)]", ArmTemplate.Text(Main.Module("api").Outputs["url"]!["value"]));
        // azd finds the app by this tag.
        Assert.Equal("[union(parameters('tags'), createObject('azd-service-name', 'api'))]", Single("api", "Microsoft.Web/sites").Text("tags"));

        var azure = RepositoryFiles.Read("azure.yaml");
        Assert.Contains("project: ./SessionFunctions/", azure, StringComparison.Ordinal);
        Assert.Contains("host: function", azure, StringComparison.Ordinal);
        Assert.True(File.Exists(RepositoryFiles.PathOf("SessionFunctions", "SessionFunctions.csproj")));
    }

    [Fact]
    public void The_key_vault_can_be_purged_so_azd_down_then_azd_up_reuses_its_name()
    {
        var vault = Single("keyvault", "Microsoft.KeyVault/vaults");
        Assert.Equal(true, vault["properties.enableSoftDelete"]?.GetValue<bool>());
        // Omitted, not false: Key Vault refuses false; with true, the name stays taken for the retention period.
        Assert.False(vault["properties"]!.AsObject().ContainsKey("enablePurgeProtection"));
        // The name is fixed per environment, which is why purging matters.
        Assert.Contains("variables('resourceToken')", ArmTemplate.Text(Main.Module("keyvault").Argument("name")), StringComparison.Ordinal);
        Assert.Equal("[toLower(uniqueString(subscription().id, parameters('environmentName'), parameters('location')))]", ArmTemplate.Text(Main.Variables["resourceToken"]));
    }

    [Fact]
    public void Maximum_instance_count_is_limited_to_flex_consumptions_range_40_to_1000()
    {
        foreach (var template in new[] { Main, Main.Module("api") })
        {
            var parameter = template.Parameters["maximumInstanceCount"]!;
            Assert.Equal("int", parameter["type"]!.GetValue<string>());
            Assert.Equal(40, parameter["minValue"]?.GetValue<int>());
            Assert.Equal(1000, parameter["maxValue"]?.GetValue<int>());
            Assert.Equal(40, parameter["defaultValue"]?.GetValue<int>());
        }
        Assert.Equal("[parameters('maximumInstanceCount')]", ArmTemplate.Text(Main.Module("api").Argument("maximumInstanceCount")));
        Assert.Contains("${MAXIMUM_INSTANCE_COUNT=40}", RepositoryFiles.Read("infra", "main.parameters.json"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_deploying_principals_role_assignments_take_its_type_from_azd()
    {
        var principalType = Main.Parameters["principalType"]!;
        Assert.Equal(["User", "ServicePrincipal"], principalType["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("User", principalType["defaultValue"]?.GetValue<string>());
        var parameters = JsonNode.Parse(RepositoryFiles.Read("infra", "main.parameters.json"))!["parameters"]!;
        Assert.Equal("${AZURE_PRINCIPAL_TYPE=User}", parameters["principalType"]!["value"]!.GetValue<string>());
        var rbac = Main.Module("rbac");
        Assert.Equal("[parameters('principalType')]", ArmTemplate.Text(rbac.Argument("userPrincipalType")));
        Assert.Equal("[parameters('principalId')]", ArmTemplate.Text(rbac.Argument("userPrincipalId")));
        Assert.Equal(["User", "ServicePrincipal"], rbac.Parameters["userPrincipalType"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()));
        AssertIsTheAppIdentitysPrincipalId(rbac.Argument("appPrincipalId"));

        var assignments = rbac.Resources("Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(4, assignments.Count);
        foreach (var assignment in assignments)
        {
            // The app's identity is always a service principal; the deploying one is whatever azd runs as, if any.
            var user = assignment.Text("properties.principalId") == "[parameters('userPrincipalId')]";
            Assert.Equal(user ? "[parameters('userPrincipalType')]" : "ServicePrincipal", assignment.Text("properties.principalType"));
            Assert.Equal(user ? "[not(empty(parameters('userPrincipalId')))]" : null, assignment.Condition);
        }
        Assert.Equal(2, assignments.Count(a => a.Text("properties.principalId") == "[parameters('appPrincipalId')]"));
        Assert.DoesNotContain(Main.Resources("Microsoft.Authorization/roleAssignments"), a => a.Text("properties.principalType") == "User");
    }

    [Fact]
    public void No_output_is_computed_from_a_secure_parameter()
    {
        var checkedOutputs = 0;
        foreach (var template in Main.AllTemplates)
        {
            // A variable computed from a secure parameter is as secret as the parameter.
            var tainted = template.SecureParameterNames.Select(p => $"parameters('{p}')").ToHashSet(StringComparer.Ordinal);
            for (var grew = true; grew;)
            {
                grew = false;
                foreach (var (name, value) in template.Variables)
                {
                    var reference = $"variables('{name}')";
                    if (!tainted.Contains(reference) && ArmTemplate.Strings(value).Any(s => tainted.Any(t => s.Contains(t, StringComparison.Ordinal))))
                        grew = tainted.Add(reference);
                }
            }
            foreach (var (name, output) in template.Outputs)
            {
                var used = ArmTemplate.Strings(output!["value"]).ToList();
                Assert.True(!used.Any(s => tainted.Any(t => s.Contains(t, StringComparison.Ordinal))), $"{template.Name}: output {name} is computed from a secure value");
                Assert.DoesNotContain(used, s => ListFunction().IsMatch(s));
                Assert.DoesNotContain("password", name, StringComparison.OrdinalIgnoreCase);
                checkedOutputs++;
            }
        }
        Assert.True(checkedOutputs >= 10);
        var keyVault = Main.Module("keyvault");
        Assert.Equal(["signingKey", "verifyOnlyKey"], keyVault.SecureParameterNames);
        // The key vault's outputs know whether there is a verify-only key from a plain bool, never from the key.
        Assert.Equal("bool", keyVault.Parameters["hasVerifyOnlyKey"]!["type"]!.GetValue<string>());
        Assert.Equal("[not(empty(parameters('sessionVerifyOnlyKey')))]", ArmTemplate.Text(keyVault.Argument("hasVerifyOnlyKey")));
    }

    [Fact]
    public void The_azd_parameters_file_fits_the_compiled_template()
    {
        // What azd sets for every environment, and a key long enough; everything else takes its ${VAR=default}.
        var required = new Dictionary<string, string>
        {
            ["AZURE_ENV_NAME"] = "dev",
            ["AZURE_LOCATION"] = "swedencentral",
            ["AZURE_PRINCIPAL_ID"] = "00000000-0000-0000-0000-000000000001",
            ["SESSION_SIGNING_KEY"] = new string('k', 48),
        };
        AssertParametersFit(required);
        AssertParametersFit(new Dictionary<string, string>(required)
        {
            ["AZURE_PRINCIPAL_TYPE"] = "ServicePrincipal",
            ["SPA_ORIGINS"] = "https://app.example.com, https://admin.example.com",
            ["REDIS_KIND"] = "AzureCacheForRedis",
            ["REDIS_CLUSTERING_POLICY"] = "OSSCluster",
            ["SESSION_VERIFY_ONLY_KEY"] = new string('v', 48),
            ["SESSION_COOKIE_SAMESITE"] = "none",
            ["ALWAYS_READY_INSTANCES"] = "1",
            ["MAXIMUM_INSTANCE_COUNT"] = "1000",
        });
    }

    /// <summary>
    /// Substitutes azd's placeholders in main.parameters.json ("${VAR}", and "${VAR=default}" when VAR is not set) with
    /// <paramref name="environment"/>, converts each value to its parameter's type as azd does, and checks it against
    /// the compiled template's parameters: the name, the type, the allowed values and the bounds; and that every
    /// parameter without a default is supplied.
    /// </summary>
    private void AssertParametersFit(Dictionary<string, string> environment)
    {
        var file = JsonNode.Parse(RepositoryFiles.Read("infra", "main.parameters.json"))!["parameters"]!.AsObject();
        var unused = environment.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var (name, entry) in file)
        {
            var declared = Main.Parameters[name];
            Assert.True(declared is not null, $"main.parameters.json sets {name}, which main.bicep does not declare.");
            var placeholder = Placeholder().Match(entry!["value"]!.GetValue<string>());
            Assert.True(placeholder.Success, $"{name}: {entry["value"]} is not a ${{VAR}} or ${{VAR=default}} placeholder.");
            var variable = placeholder.Groups["name"].Value;
            unused.Remove(variable);
            Assert.True(environment.ContainsKey(variable) || placeholder.Groups["default"].Success,
                $"{name}: {variable} has no default, and the test sets no sample for it.");
            var text = environment.TryGetValue(variable, out var set) ? set : placeholder.Groups["default"].Value;
            var type = declared["type"]!.GetValue<string>();
            var value = Convert(name, type, text);

            if (!environment.ContainsKey(variable) && placeholder.Groups["default"].Success && declared["defaultValue"] is { } templateDefault)
                Assert.True(JsonNode.DeepEquals(templateDefault, value), $"{name}: the file's default {text} is not the template's {templateDefault.ToJsonString()}.");
            if (declared["allowedValues"] is JsonArray allowed)
                Assert.True(allowed.Any(a => JsonNode.DeepEquals(a, value)), $"{name}: {text} is not one of {allowed.ToJsonString()}.");
            if (value is JsonValue number && type == "int")
            {
                var n = number.GetValue<long>();
                Assert.True(declared["minValue"] is null || n >= declared["minValue"]!.GetValue<long>(), $"{name}: {n} is below {declared["minValue"]}.");
                Assert.True(declared["maxValue"] is null || n <= declared["maxValue"]!.GetValue<long>(), $"{name}: {n} is above {declared["maxValue"]}.");
            }
            var length = value switch { JsonArray array => array.Count, JsonValue v when v.TryGetValue<string>(out var s) => s.Length, _ => (int?)null };
            if (length is { } l)
            {
                Assert.True(declared["minLength"] is null || l >= declared["minLength"]!.GetValue<int>(), $"{name}: length {l} is below {declared["minLength"]}.");
                Assert.True(declared["maxLength"] is null || l <= declared["maxLength"]!.GetValue<int>(), $"{name}: length {l} is above {declared["maxLength"]}.");
            }
        }
        Assert.Empty(unused);
        foreach (var name in Main.Parameters.Where(p => p.Value!["defaultValue"] is null && p.Value["nullable"] is null).Select(p => p.Key))
            Assert.True(file.ContainsKey(name), $"main.bicep's parameter {name} has no default, and main.parameters.json does not set it.");
    }

    private static JsonNode Convert(string name, string type, string text)
    {
        switch (type)
        {
            case "string" or "securestring":
                return JsonValue.Create(text);
            case "int":
                Assert.True(long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number), $"{name}: '{text}' is not an int.");
                return JsonValue.Create(number);
            case "bool":
                Assert.True(bool.TryParse(text, out var flag), $"{name}: '{text}' is not a bool.");
                return JsonValue.Create(flag);
            default:
                var node = JsonNode.Parse(text);
                Assert.True(type is "array" ? node is JsonArray : node is JsonObject, $"{name}: '{text}' is not an {type}.");
                return node!;
        }
    }

    private static void AssertIsTheAppIdentitysPrincipalId(JsonNode? argument) =>
        Assert.Equal("[reference(extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', subscription().subscriptionId, format('{0}{1}', variables('abbrs').resourcesResourceGroups, parameters('environmentName'))), 'Microsoft.Resources/deployments', 'identity'), '2025-04-01').outputs.principalId.value]",
            ArmTemplate.Text(argument));

    /// <summary>The app settings the function app's appsettings resource sets, besides the Key Vault references.</summary>
    private IReadOnlyDictionary<string, ArmExpression> AppSettings()
    {
        // properties: union(parameters('signingKeyReferences'), createObject('AzureWebJobsStorage__credential', ...))
        var union = Expression(Single("api", "Microsoft.Web/sites/config").Text("properties"));
        Assert.Equal("union", union.Function);
        Assert.Equal("[format('{0}/{1}', parameters('name'), 'appsettings')]", Single("api", "Microsoft.Web/sites/config").Text("name"));
        return Assert.Single(union.Arguments, a => a.Function == "createObject").ObjectProperties();
    }

    /// <summary>A configuration key (<c>Redis:HostName</c>) as an app setting names it (<c>Redis__HostName</c>).</summary>
    private static string AppSetting(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>listKeys(), listConnectionStrings(), listSecrets()…: a call that reads a resource's keys into the template.</summary>
    [GeneratedRegex(@"\blist\w*\(")]
    private static partial Regex ListFunction();

    [GeneratedRegex(@"^\$\{(?<name>[A-Z0-9_]+)(=(?<default>[^}]*))?\}$")]
    private static partial Regex Placeholder();
}
