// The function app's user-assigned managed identity: the one identity it uses for deployment storage, host storage,
// Application Insights, Key Vault references and Redis. It replaces AVM's user-assigned-identity module 0.4.1 and
// keeps what that module set for us:
//   - the identity itself, in the given region, with the azd tags (azd-env-name), and no federated credentials
//   - the same outputs: name, resourceId, principalId (object id, for role and access-policy assignments), clientId
// The AVM module's extras were off here (no lock, no role assignments on the identity, no telemetry deployment).
param name string
param location string = resourceGroup().location
param tags { *: string } = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output resourceId string = identity.id
@description('Object id of the identity\'s service principal.')
output principalId string = identity.properties.principalId
@description('Application (client) id, for AZURE_CLIENT_ID and the managed-identity settings of the host.')
output clientId string = identity.properties.clientId
