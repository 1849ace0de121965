// sendmessage of AWS's sample chat: post the data to every connection at once, prune the gone.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: process.env.AWS_REGION }));
const { TABLE_NAME } = process.env;

export const handler = async (event) => {
  const { Items } = await ddb.send(
    new ScanCommand({ TableName: TABLE_NAME, ProjectionExpression: 'connectionId' }),
  );
  const api = new ApiGatewayManagementApiClient({
    endpoint: 'https://' + event.requestContext.domainName + '/' + event.requestContext.stage,
  });
  const data = JSON.parse(event.body).data;
  await Promise.all(Items.map(async ({ connectionId }) => {
    try {
      await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
    } catch (err) {
      if (err.$metadata?.httpStatusCode === 410) {
        await ddb.send(new DeleteCommand({ TableName: TABLE_NAME, Key: { connectionId } }));
      } else {
        throw err;
      }
    }
  }));
  return { statusCode: 200, body: 'Data sent.' };
};
