// Storage for the Flex Consumption app: its deployment package (a blob container) and its host storage
// (AzureWebJobsStorage), both reached with the app's managed identity. It replaces AVM's storage-account module
// 0.8.3 and keeps every secure setting main.bicep had through it, or that the module set by default:
//   - minimum TLS 1.2, HTTPS only (supportsHttpsTrafficOnly)
//   - no shared-key access (allowSharedKeyAccess: false): no account keys, no SAS signed with them; Entra ID only,
//     and Entra ID is also the portal's default (defaultToOAuthAuthentication)
//   - no public blob access (allowBlobPublicAccess: false, and the container's publicAccess: None)
//   - no cross-tenant object replication (allowCrossTenantReplication: false, the module's default)
//   - infrastructure encryption (requireInfrastructureEncryption: true, the module's default; Azure sets it only
//     when the account is created), Microsoft-managed keys for blob and file
//   - public network access Enabled with networkAcls defaultAction Allow and bypass AzureServices: without a virtual
//     network the app reaches its package and host storage over the public endpoint, and the module's own default
//     (Deny when networkAcls is omitted) locks the app out; every request still needs an identity holding a role
//   - standard DNS endpoints, StorageV2, Hot tier, Standard_GRS (the module's default SKU, so an existing account
//     keeps its redundancy)
//   - blob and container soft delete for 7 days (the module's blob-service defaults)
//   - the deployment container that the Flex Consumption app deploys from
//   - the same output: name
param name string
param location string = resourceGroup().location
param tags { *: string } = {}

@description('The blob container the Flex Consumption app deploys its package from.')
param deploymentContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GRS'
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true }
        file: { enabled: true }
      }
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
      containerDeleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

output name string = storage.name
