// The Flex Consumption function app: dotnet-isolated 10.0, a user-assigned identity for everything (deployment
// storage, AzureWebJobsStorage, Application Insights, Key Vault references, Redis), HTTPS only, and platform CORS
// with credentials for an explicit list of SPA origins.
import { signingKeySettings } from 'keyvault.bicep'

param name string
param location string = resourceGroup().location
param tags { *: string } = {}
param planId string
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsConnectionString string

@description('Redis endpoint, host:port.')
param redisHostName string

@description('Session__Keys__<n> app settings as Key Vault references.')
param signingKeyReferences signingKeySettings

@description('Origins allowed to call the API with credentials. Never *: browsers refuse credentials with a wildcard.')
param corsAllowedOrigins string[] = []

@allowed(['lax', 'strict', 'none'])
param cookieSameSite string = 'lax'

param alwaysReadyInstances int = 0

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName
}

var settings = union(signingKeyReferences, {
  // Host storage through the managed identity: no connection string, no key.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // GET / is not the host's "Your Functions app is up and running" page: the app serves the API under api/ only.
  AzureWebJobsDisableHomepage: 'true'
  // Azure.Identity's user-assigned identity, used for Redis (Microsoft Entra ID).
  AZURE_CLIENT_ID: identityClientId
  Redis__HostName: redisHostName
  // Hardened cookie profile for the cloud: always Secure, an explicit SameSite. The platform's front end terminates
  // TLS and sets X-Forwarded-Proto, and the site is HTTPS-only, so that header can be trusted.
  Session__Cookie__Secure: 'true'
  Session__Cookie__SameSite: cookieSameSite
  Session__TrustForwardedProto: 'true'
  Session__Key: 'koa.sid'
  Session__Prefix: 'koa:sess:'
  // The same allow-list as platform CORS, for the app's CSRF check of state-changing requests.
  Cors__AllowedOrigins__0: join(corsAllowedOrigins, ',')
})

resource api 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReadyInstances > 0 ? [
          {
            name: 'http'
            instanceCount: alwaysReadyInstances
          }
        ] : []
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: true
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: settings
  }
}

output name string = api.name
output url string = 'https://${api.properties.defaultHostName}'
