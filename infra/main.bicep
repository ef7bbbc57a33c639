// SessionFunctions: the whole secure stack in one deployment (`azd up`).
//   Flex Consumption function app with a user-assigned managed identity (no secrets in settings)
//   Storage with shared keys disabled; Log Analytics + Application Insights with local auth disabled
//   Redis (Azure Managed Redis, or Azure Cache for Redis) with access keys disabled and Entra ID access for the app
//   Key Vault (RBAC) holding the cookie signing keys, read through Key Vault references
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to name resources.')
param environmentName string

@minLength(1)
@description('Region of every resource. Flex Consumption and Azure Managed Redis must both be offered there.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying principal, granted blob and metrics access for debugging. Empty: none.')
param principalId string = ''

// Role assignments must name the principal's type, and azd may run as a user (azd auth login) or as a service principal
// (CI): azd sets AZURE_PRINCIPAL_TYPE to match AZURE_PRINCIPAL_ID.
@allowed(['User', 'ServicePrincipal'])
@description('Type of principalId, from azd (AZURE_PRINCIPAL_TYPE): User, or ServicePrincipal when azd runs in CI.')
param principalType string = 'User'

@description('Comma-separated origins of the SPA that may call the API with credentials, e.g. https://app.example.com. Never *.')
param corsAllowedOrigins string = ''

@allowed(['AzureManagedRedis', 'AzureCacheForRedis'])
@description('Azure Managed Redis (default), or Azure Cache for Redis, which Microsoft retires on 2028-09-30.')
param redisKind string = 'AzureManagedRedis'

// EnterpriseCluster: one endpoint, and a proxy routes each command to its shard. OSSCluster: the client learns the
// shards and talks to each directly, which needs a cluster-aware client whose commands never span hash slots (ours:
// RedisClusterTests, docs/capacity.md). Azure cannot change it on an existing database (docs/deployment.md).
@allowed(['EnterpriseCluster', 'OSSCluster'])
@description('Clustering policy of Azure Managed Redis: EnterpriseCluster (one endpoint, the default) or OSSCluster (clients connect to every shard). Not used by Azure Cache for Redis.')
param redisClusteringPolicy string = 'EnterpriseCluster'

@secure()
@minLength(32)
@description('The cookie signing key (Session:Keys:0), at least 32 characters: set SESSION_SIGNING_KEY. It is stored in Key Vault only.')
param sessionSigningKey string

@secure()
@description('A verify-only key (Session:Keys:1) during a rotation; empty otherwise. See docs/operations.md, "Rotating the signing key".')
param sessionVerifyOnlyKey string = ''

@allowed(['lax', 'strict', 'none'])
@description('SameSite of the session cookie: lax or strict when the SPA is on the same site as the API, none for a cross-site SPA.')
param cookieSameSite string = 'lax'

@minValue(0)
@description('Always-ready instances for the HTTP functions (0 scales to zero; 1 or more removes cold starts, at a cost).')
param alwaysReadyInstances int = 0

// Flex Consumption accepts 40 to 1000; below 40 the deployment fails.
@minValue(40)
@maxValue(1000)
@description('The most instances the app scales out to (Flex Consumption: 40 to 1000); each holds one Redis connection.')
param maximumInstanceCount int = 40

@allowed([2048, 4096])
param instanceMemoryMB int = 2048

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
// Names known before deployment, passed to the modules that look these resources up instead of the modules' outputs:
// a module parameter that names a resource must not be a runtime value, or What-If stops predicting that module.
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var applicationInsightsName = '${abbrs.insightsComponents}${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'app/plan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module redis 'app/redis.bicep' = {
  name: 'redis'
  scope: rg
  params: {
    kind: redisKind
    clusteringPolicy: redisClusteringPolicy
    name: redisKind == 'AzureManagedRedis' ? '${abbrs.cacheRedisEnterprise}${resourceToken}' : '${abbrs.cacheRedis}${resourceToken}'
    location: location
    tags: tags
    dataContributorPrincipalId: identity.outputs.principalId
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    // Role assignments are named from the principal id, as they always were: a name from anything else would give an
    // existing environment a second assignment of the same role, which Azure refuses (RoleAssignmentExists).
    #disable-next-line what-if-short-circuiting
    appPrincipalId: identity.outputs.principalId
    signingKey: sessionSigningKey
    verifyOnlyKey: sessionVerifyOnlyKey
    // A plain bool, so that the module's outputs never depend on a secure value (outputs-should-not-contain-secrets).
    hasVerifyOnlyKey: !empty(sessionVerifyOnlyKey)
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  dependsOn: [storage, monitoring]
  params: {
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
    // Role assignments are named from the principal id, as they always were: a name from anything else would give an
    // existing environment a second assignment of the same role, which Azure refuses (RoleAssignmentExists).
    #disable-next-line what-if-short-circuiting
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  // The app reads its package and host storage with roles that rbac grants, so those come first.
  dependsOn: [rbac, storage]
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    redisHostName: redis.outputs.hostName
    signingKeyReferences: keyVault.outputs.signingKeyReferences
    corsAllowedOrigins: empty(corsAllowedOrigins) ? [] : map(split(corsAllowedOrigins, ','), origin => trim(origin))
    cookieSameSite: cookieSameSite
    alwaysReadyInstances: alwaysReadyInstances
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SESSION_API_URL string = '${api.outputs.url}/api/session'
output REDIS_NAME string = redis.outputs.name
output REDIS_HOST string = redis.outputs.hostName
output KEY_VAULT_NAME string = keyVault.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
