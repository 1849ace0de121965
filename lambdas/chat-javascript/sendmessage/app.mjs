// sendmessage: post the message's data to every connection at once; prune the gone ones (410).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: process.env.AWS_REGION }));
const { TABLE_NAME } = process.env;

export const handler = async (event) => {
  let connectionData;
  try {
    connectionData = await ddb.send(
      new ScanCommand({ TableName: TABLE_NAME, ProjectionExpression: 'connectionId' }),
    );
  } catch (err) {
    return { statusCode: 500, body: err.stack };
  }

  const apigwManagementApi = new ApiGatewayManagementApiClient({
    endpoint: 'https://' + event.requestContext.domainName + '/' + event.requestContext.stage,
  });
  const postData = JSON.parse(event.body).data;

  const postCalls = connectionData.Items.map(async ({ connectionId }) => {
    try {
      await apigwManagementApi.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: postData }),
      );
    } catch (err) {
      if (err.$metadata?.httpStatusCode === 410) {
        console.log(`Found stale connection, deleting ${connectionId}`);
        await ddb.send(new DeleteCommand({ TableName: TABLE_NAME, Key: { connectionId } }));
      } else {
        throw err;
      }
    }
  });

  try {
    await Promise.all(postCalls);
  } catch (err) {
    return { statusCode: 500, body: err.stack };
  }
  return { statusCode: 200, body: 'Data sent.' };
};
