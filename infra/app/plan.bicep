// The Flex Consumption plan. It replaces AVM's serverfarm module 0.1.1 and keeps what main.bicep asked of it:
//   - SKU FC1 in tier FlexConsumption, the only plan a Flex Consumption app runs on
//   - reserved: true, i.e. a Linux plan (Flex Consumption is Linux only)
//   - kind functionapp, as Microsoft's Flex Consumption templates declare the plan
//   - no zone redundancy (the module's default outside Premium SKUs), the azd tags
//   - the same output: resourceId, for the site's serverFarmId
param name string
param location string = resourceGroup().location
param tags { *: string } = {}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

output name string = plan.name
output resourceId string = plan.id
