// The session store: Azure Managed Redis (default) or Azure Cache for Redis. Either way: TLS 1.2+, no non-TLS port,
// access keys disabled, and Microsoft Entra ID access for the app's managed identity only.
@allowed(['AzureManagedRedis', 'AzureCacheForRedis'])
param kind string
param name string
param location string = resourceGroup().location
param tags { *: string } = {}

@description('Object id of the identity that reads and writes sessions (the function app\'s user-assigned identity).')
param dataContributorPrincipalId string

@description('Azure Managed Redis SKU; Balanced_B0 is the smallest.')
param managedRedisSku string = 'Balanced_B0'

// EnterpriseCluster puts a proxy behind one endpoint, so any client works; OSSCluster exposes the shards to a
// cluster-aware client, which skips the proxy. Every command of the session store names one key, so both work.
@allowed(['EnterpriseCluster', 'OSSCluster'])
@description('Azure Managed Redis clustering policy; Azure cannot change it once the database exists.')
param clusteringPolicy string = 'EnterpriseCluster'

@allowed(['Basic', 'Standard', 'Premium'])
@description('Azure Cache for Redis SKU; Standard has a replica and an SLA.')
param cacheSku string = 'Standard'

var isManaged = kind == 'AzureManagedRedis'

resource managed 'Microsoft.Cache/redisEnterprise@2026-09-01' = if (isManaged) {
  name: name
  location: location
  tags: tags
  sku: {
    name: managedRedisSku
  }
  properties: {
    minimumTlsVersion: '1.2'
    // Like Azure Cache for Redis below: reachable without a virtual network, and only with an Entra ID token, since
    // access keys are disabled on the database. Required from API version 2025-07-01 on.
    publicNetworkAccess: 'Enabled'
  }
}

resource managedDatabase 'Microsoft.Cache/redisEnterprise/databases@2026-09-01' = if (isManaged) {
  parent: managed
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: clusteringPolicy
    // Evicting a live session would log its user out; fail writes instead and alert on memory.
    evictionPolicy: 'NoEviction'
    accessKeysAuthentication: 'Disabled'
  }
}

resource managedAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2026-09-01' = if (isManaged) {
  parent: managedDatabase
  name: 'sessionapi'
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: dataContributorPrincipalId
    }
  }
}

resource cache 'Microsoft.Cache/redis@2024-11-01' = if (!isManaged) {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: cacheSku
      family: cacheSku == 'Premium' ? 'P' : 'C'
      capacity: cacheSku == 'Premium' ? 1 : 0
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    disableAccessKeyAuthentication: true
    redisConfiguration: {
      'aad-enabled': 'true'
      'maxmemory-policy': 'noeviction'
    }
  }
}

resource cacheAccess 'Microsoft.Cache/redis/accessPolicyAssignments@2024-11-01' = if (!isManaged) {
  parent: cache
  name: 'sessionapi'
  properties: {
    accessPolicyName: 'Data Contributor'
    objectId: dataContributorPrincipalId
    objectIdAlias: 'session-api'
  }
}

output name string = name
@description('host:port for Redis__HostName: TLS port 10000 on Azure Managed Redis, 6380 on Azure Cache for Redis.')
output hostName string = isManaged ? '${managed!.properties.hostName}:10000' : '${cache!.properties.hostName}:6380'
